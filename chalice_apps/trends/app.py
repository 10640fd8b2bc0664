"""trends: trending YouTube topics found, ranked and stored for the video pipeline, the
configuration people edit, and the video pipeline's tasks (seed 002). Handlers only; the
logic is in chalicelib/trends (the pipeline's in ``video_stages``).

``analyze_trends`` is a plain function: its EventBridge Scheduler schedule (daily, in New
York time) is declared by the program (``infra/systems/trends``), since Chalice's
``@app.schedule`` makes EventBridge rules, which know no time zone. Every route but the page
and its sign-in settings is behind the Cognito user pool authorizer (the program gives it
the pool's ARN).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import CognitoUserPoolAuthorizer, Response, SQSEvent

from chalicelib.trends import names, page, wiring
from chalicelib.trends.config_store import Person
from chalicelib.trends.settings_api import (
    config_history,
    current_config,
    estimate_draft,
    person,
    save_config,
    undo_change,
)
from shared.api import ApiApp
from shared.http import json_response
from shared.metrics import with_metrics
from shared.observability import logger
from shared.query import checked_parameters

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

app = ApiApp("trends", logger("trends-api"))
# The pool is the program's: it replaces this ARN in the API's Swagger with the real one.
users = CognitoUserPoolAuthorizer(
    names.AUTHORIZER, provider_arns=["arn:aws:cognito-idp:::userpool/set-by-the-program"]
)


def caller() -> Person:
    claims = ((app.request.context or {}).get("authorizer") or {}).get("claims") or {}
    return person(dict(claims), wiring.client_id())


@app.route("/", methods=["GET"])
def page_route() -> Response:
    checked_parameters(app.query)
    return Response(page.html(), status_code=200, headers={"Content-Type": page.CONTENT_TYPE})


@app.route("/sign-in", methods=["GET"])
def sign_in_route() -> Response:
    checked_parameters(app.query)
    return json_response(200, page.sign_in(wiring.client_id()))


@app.route("/config", methods=["GET"], authorizer=users)
def get_config_route() -> Response:
    caller()
    return json_response(200, current_config(wiring.config_store()))


@app.route("/config", methods=["PUT"], authorizer=users)
def put_config_route() -> Response:
    saved = save_config(wiring.config_store(), app.request.raw_body, caller(), datetime.now(UTC))
    return json_response(200, saved)


@app.route("/config/estimate", methods=["POST"], authorizer=users)
def estimate_route() -> Response:
    caller()
    return json_response(200, estimate_draft(app.request.raw_body))


@app.route("/config/history", methods=["GET"], authorizer=users)
def history_route() -> Response:
    caller()
    return json_response(200, config_history(wiring.config_store(), app.query))


@app.route("/config/history/{version}/undo", methods=["POST"], authorizer=users)
def undo_route(version: str) -> Response:
    undone = undo_change(wiring.config_store(), version, caller(), datetime.now(UTC))
    return json_response(200, undone)


@app.route("/trends/{topic}", methods=["GET"], authorizer=users)
def ranking_route(topic: str) -> Response:
    caller()
    checked_parameters(app.query)
    return json_response(200, {"topic": topic, "trends": wiring.rankings().latest_json(topic)})


@app.lambda_function(name="analyze_trends")
@with_metrics(wiring.metrics)
def analyze_trends(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends.analysis import analyze, run_moment

    moment = run_moment(event, datetime.now(UTC))
    return analyze(wiring.analysis_deps(metrics), moment, metrics)


# The video pipeline (part 2): one plain function per task of the state machine, which the
# program declares (``infra/systems/trends/pipeline.py``); each gets the state's input.


@app.lambda_function(name="plan_videos")
@with_metrics(wiring.metrics)
def plan_videos(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_wiring
    from chalicelib.trends.video_stages import plan

    config = wiring.config_store().current().config
    return plan(video_wiring.deps(metrics), config, wiring.rankings(), event)


@app.lambda_function(name="write_script")
@with_metrics(wiring.metrics)
def write_script(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_wiring
    from chalicelib.trends.video_stages import script

    return script(video_wiring.deps(metrics), event)


@app.lambda_function(name="narrate")
@with_metrics(wiring.metrics)
def narrate(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_wiring
    from chalicelib.trends.video_stages import TIMEOUT_MARGIN_SECONDS, narration

    left = context.get_remaining_time_in_millis() / 1000 - TIMEOUT_MARGIN_SECONDS
    deadline = time.monotonic() + max(left, 1.0)
    return narration(video_wiring.deps(metrics), event, deadline)


@app.lambda_function(name="start_clips")
@with_metrics(wiring.metrics)
def start_clips(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_stages, video_wiring

    return video_stages.start_clips(video_wiring.deps(metrics), event)


@app.lambda_function(name="check_clips")
@with_metrics(wiring.metrics)
def check_clips(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_stages, video_wiring

    return video_stages.check_clips(video_wiring.deps(metrics), event)


@app.lambda_function(name="start_render")
@with_metrics(wiring.metrics)
def start_render(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_wiring
    from chalicelib.trends.video_stages import render

    return render(video_wiring.deps(metrics), event["video"], event["token"])


@app.on_sqs_message(queue=names.RENDER_EVENTS_KEY, batch_size=1)
@with_metrics(wiring.metrics)
def finish_render(metrics: Metrics, event: SQSEvent) -> None:
    """MediaConvert's job state changes (an EventBridge rule puts them on the queue)."""
    from chalicelib.trends import video_stages, video_wiring

    for record in event:
        change = json.loads(record.body)
        video_stages.finish_render(video_wiring.deps(metrics), change.get("detail") or {})


@app.lambda_function(name="upload_video")
@with_metrics(wiring.metrics)
def upload_video(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_wiring
    from chalicelib.trends.video_publish import publish

    return publish(video_wiring.deps(metrics), video_wiring.upload_settings(), event)


@app.lambda_function(name="mark_video_failed")
@with_metrics(wiring.metrics)
def mark_video_failed(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_wiring
    from chalicelib.trends.video_stages import fail

    return fail(video_wiring.deps(metrics), event)


@app.lambda_function(name="report_night")
@with_metrics(wiring.metrics)
def report_night(metrics: Metrics, event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends import video_wiring
    from chalicelib.trends.video_stages import report

    return report(video_wiring.deps(metrics), event)
