"""patches: Linux kernel patches from Patchwork and their lore.kernel.org discussions, and
the read API over them (seed 001). Routes, schedules and queue consumers only; the logic is
in chalicelib/patches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import CloudWatchEvent, Cron, Rate, Response, SQSEvent

from chalicelib.patches import names, wiring
from chalicelib.patches.fetching import fetch_recent, plan_refresh, refresh_discussions
from chalicelib.patches.queries import (
    discussions_page,
    parse_list_query,
    patch_detail,
    patches_page,
)
from shared.api import ApiApp
from shared.http import json_response
from shared.metrics import with_metrics
from shared.observability import logger
from shared.query import checked_parameters

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

app = ApiApp("patches", logger("patches-api"))


@app.route("/patches", methods=["GET"], api_key_required=True)
def list_patches_route() -> Response:
    query = parse_list_query(app.query, datetime.now(UTC))
    return json_response(200, patches_page(wiring.patches(), query))


@app.route("/patches/{patch_id}", methods=["GET"], api_key_required=True)
def get_patch_route(patch_id: str) -> Response:
    checked_parameters(app.query)
    return json_response(200, patch_detail(wiring.patches(), patch_id))


@app.route("/patches/{patch_id}/discussions", methods=["GET"], api_key_required=True)
def patch_discussions_route(patch_id: str) -> Response:
    page = discussions_page(wiring.patches(), wiring.discussions(), patch_id, app.query)
    return json_response(200, page)


# The stack's `patches` schedules replace these expressions when the program deploys them.
@app.schedule(Rate(1, unit=Rate.HOURS), name="fetch_recent_patches")
@with_metrics(wiring.metrics)
def fetch_recent_patches(metrics: Metrics, event: CloudWatchEvent) -> dict[str, Any]:
    return fetch_recent(wiring.projects(), wiring.fetch_deps(metrics), datetime.now(UTC), metrics)


@app.schedule(Cron(0, 3, "*", "*", "?", "*"), name="refresh_patches")
@with_metrics(wiring.metrics)
def refresh_patches(metrics: Metrics, event: CloudWatchEvent) -> dict[str, Any]:
    settings = wiring.planner_settings()
    days = settings.config.refresh_days
    return plan_refresh(settings.projects, days, datetime.now(UTC), wiring.slice_queue(), metrics)


@app.schedule(Cron(0, 4, "?", "*", "SUN", "*"), name="refresh_discussions")
@with_metrics(wiring.metrics)
def refresh_discussions_weekly(metrics: Metrics, event: CloudWatchEvent) -> dict[str, Any]:
    config = wiring.discussion_refresh_settings().config
    return refresh_discussions(
        config.active_states,
        config.discussion_refresh_days,
        datetime.now(UTC),
        wiring.discussion_refresh_patches(),
        wiring.discussion_refresh_queue(),
        metrics,
    )


@app.on_sqs_message(queue=names.SLICE_QUEUE, batch_size=1)
@with_metrics(wiring.metrics)
def refresh_slice(metrics: Metrics, event: SQSEvent) -> dict[str, Any]:
    from chalicelib.patches.workers import process_slices  # not on the API's cold start

    return process_slices(event.to_dict(), event.context, wiring.fetch_deps(metrics), metrics)


@app.on_sqs_message(queue=names.THREAD_QUEUE, batch_size=10)
@with_metrics(wiring.metrics)
def refresh_threads(metrics: Metrics, event: SQSEvent) -> dict[str, Any]:
    from chalicelib.patches.workers import process_threads  # not on the API's cold start

    deps, breaker = wiring.thread_deps(metrics)
    return process_threads(event.to_dict(), event.context, deps, breaker, metrics)
