"""trends: trending YouTube topics found, ranked and stored for the video pipeline, and the
configuration people edit (seed 002). Handlers only; the logic is in chalicelib/trends.

``analyze_trends`` is a plain function: its EventBridge Scheduler schedule (daily, in New
York time) is declared by the program (``infra/systems/trends``), since Chalice's
``@app.schedule`` makes EventBridge rules, which know no time zone. Every route but the page
and its sign-in settings is behind the Cognito user pool authorizer (the program gives it
the pool's ARN).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice.app import CognitoUserPoolAuthorizer, Response

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
from shared.observability import logger
from shared.query import checked_parameters

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
    return json_response(200, page.sign_in())


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
def analyze_trends(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.trends.analysis import analyze, run_moment

    metrics = wiring.metrics()
    try:
        moment = run_moment(event, datetime.now(UTC))
        return analyze(wiring.analysis_deps(metrics), moment, metrics)
    finally:
        metrics.flush_metrics()
