"""mentions' monitoring: its own alarms (MentionMind's error rate, no successful run) and its
dashboard, one screen for the on-call."""

from __future__ import annotations

from typing import Any

from chalicelib.mentions import names
from infra.components.alarms import error_rate_alarm, no_success_alarm
from infra.components.dashboards import MetricGrid
from infra.components.monitoring import Watch
from infra.systems.mentions.settings import MentionsSettings
from shared.names import physical

# The MentionMind API error rate that pages someone, over an hour of runs.
API_ERROR_PERCENT = 20.0
# The ingester's EMF metrics carry powertools' ``service`` dimension.
METRIC_DIMENSIONS = {"service": names.MENTIONS_INGESTER_SERVICE}


def dashboard(stack: str, region: str, ingester: str, reader: str, api: str) -> dict[str, Any]:
    """One screen for the on-call: what each run did, how MentionMind behaves, the functions'
    health and the read API's traffic."""
    namespace = names.MENTIONS_METRICS_NAMESPACE
    service = ["service", names.MENTIONS_INGESTER_SERVICE]

    grid = MetricGrid(region, period_seconds=900)
    widget, api_traffic = grid.widget, grid.api_traffic

    return {
        "widgets": [
            widget(
                "Mentions per run",
                [
                    [namespace, metric, *service]
                    for metric in (
                        "MentionsFetched",
                        "MentionsStored",
                        "MentionsDuplicate",
                        "MentionsInvalid",
                    )
                ],
                0,
                0,
            ),
            widget(
                "Runs",
                [
                    [namespace, "SuccessfulRuns", *service],
                    [namespace, "FailedProjects", *service],
                ],
                12,
                0,
            ),
            widget(
                "MentionMind latency (ms, p50 / p95)",
                [
                    [namespace, "ApiLatency", *service, {"stat": "p50"}],
                    [namespace, "ApiLatency", *service, {"stat": "p95"}],
                ],
                0,
                6,
                stat="p50",
            ),
            widget(
                "MentionMind calls and errors",
                [[namespace, "ApiCalls", *service], [namespace, "ApiErrors", *service]],
                12,
                6,
            ),
            widget(
                "Functions: errors and duration (max, ms)",
                [
                    ["AWS/Lambda", "Errors", "FunctionName", ingester],
                    ["AWS/Lambda", "Errors", "FunctionName", reader],
                    ["AWS/Lambda", "Duration", "FunctionName", ingester, {"stat": "Maximum"}],
                ],
                0,
                12,
            ),
            api_traffic("Read API: requests, 4xx, 5xx", api, stack, 12, 12),
        ]
    }


def alarms(name: str, watch: Watch, settings: MentionsSettings) -> None:
    """mentions' own alarms; every function's Errors and the API's 5xx-rate alarms come
    with the app (``FleetSystem.chalice_app``)."""
    error_rate_alarm(
        f"{name}-mentionmind-error-rate",
        name=physical("mentions-mentionmind-error-rate", watch.stack),
        description=f"{API_ERROR_PERCENT}% or more of the calls to MentionMind failed "
        "in an hour (after retries). See docs/runbooks/mentions.md.",
        namespace=names.MENTIONS_METRICS_NAMESPACE,
        errors_metric="ApiErrors",
        calls_metric="ApiCalls",
        dimensions=dict(METRIC_DIMENSIONS),
        percent=API_ERROR_PERCENT,
        period_seconds=3600,
        topic_arn=watch.topic_arn,
        tags=watch.tags,
        parent=watch.parent,
    )
    no_success_alarm(
        f"{name}-no-successful-run",
        name=physical("mentions-no-successful-run", watch.stack),
        description=f"No ingester run succeeded for {settings.stale_after_hours} "
        "hours: the mentions table is falling behind. See docs/runbooks/mentions.md.",
        namespace=names.MENTIONS_METRICS_NAMESPACE,
        metric_name="SuccessfulRuns",
        dimensions=dict(METRIC_DIMENSIONS),
        hours=settings.stale_after_hours,
        topic_arn=watch.topic_arn,
        tags=watch.tags,
        parent=watch.parent,
    )
