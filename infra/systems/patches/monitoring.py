"""patches' monitoring: its own alarms (each outside service's error rate and circuit breaker,
no successful hourly run) and its dashboard, one screen for the on-call."""

from __future__ import annotations

from typing import Any

from chalicelib.patches import names
from infra.components.alarms import any_occurrence_alarm, error_rate_alarm, no_success_alarm
from infra.components.dashboards import MetricGrid
from infra.components.monitoring import Watch
from infra.systems.patches.settings import PatchesSettings
from shared.names import physical

# The API error rate that pages someone, over an hour.
API_ERROR_PERCENT = 20.0
# powertools writes the ``service`` dimension on every EMF metric.
METRIC_DIMENSIONS = {"service": names.PATCHES_METRICS_SERVICE}


def dashboard(
    stack: str, region: str, functions: dict[str, str], api: str, queues: list[str]
) -> dict[str, Any]:
    """What the fetchers and the thread worker did, how Patchwork and lore behave (latency,
    errors, breakers), the queues, the functions' health and the read API's traffic.
    ``functions`` maps each logical id to its function name; ``queues`` names the thread
    queue, its DLQ and the slice queue."""
    namespace = names.PATCHES_METRICS_NAMESPACE
    service = ["service", names.PATCHES_METRICS_SERVICE]

    def ours(*metrics: str) -> list[list[Any]]:
        return [[namespace, metric, *service] for metric in metrics]

    grid = MetricGrid(region, period_seconds=3600)
    widget, api_traffic = grid.widget, grid.api_traffic

    services = [(s, s.capitalize()) for s in names.SERVICES]
    return {
        "widgets": [
            widget(
                "Patches per run",
                ours(
                    "PatchesFetched",
                    "PatchesNew",
                    "PatchesUpdated",
                    "PatchesInvalid",
                    "ThreadsQueued",
                ),
                0,
                0,
            ),
            widget(
                "Threads and messages",
                ours("ThreadsStored", "MessagesStored", "MessagesMalformed", "ThreadsNotFound"),
                12,
                0,
            ),
            widget(
                "API latency (ms, p95)",
                [
                    [namespace, names.service_metric(s, "ApiLatency"), *service, {"label": label}]
                    for s, label in services
                ],
                0,
                6,
                stat="p95",
            ),
            widget(
                "API calls and errors",
                [
                    [namespace, names.service_metric(s, metric), *service]
                    for s, _ in services
                    for metric in ("ApiCalls", "ApiErrors")
                ],
                12,
                6,
            ),
            widget(
                "Breakers open (1) and runs",
                [
                    *ours(*(names.service_metric(s, "BreakerOpen") for s, _ in services)),
                    *ours("SuccessfulRuns", "CircuitOpenRuns", "FailedProjects"),
                ],
                0,
                12,
                stat="Maximum",
            ),
            widget(
                "Queues: visible messages",
                [
                    ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue]
                    for queue in queues
                ],
                12,
                12,
                stat="Maximum",
            ),
            widget(
                "Functions: errors and duration (max, ms)",
                [
                    *(
                        ["AWS/Lambda", "Errors", "FunctionName", function]
                        for function in functions.values()
                    ),
                    *(
                        ["AWS/Lambda", "Duration", "FunctionName", function, {"stat": "Maximum"}]
                        for function in functions.values()
                    ),
                ],
                0,
                18,
            ),
            api_traffic("Read API: requests, 4xx, 5xx", api, stack, 12, 18),
        ]
    }


def alarms(name: str, watch: Watch, settings: PatchesSettings) -> None:
    """patches' own alarms; every function's Errors, the API's 5xx rate and each DLQ's
    depth come with the platform (``FleetSystem``)."""
    for service in names.SERVICES:
        error_rate_alarm(
            f"{name}-{service}-error-rate",
            name=physical(f"patches-{service}-error-rate", watch.stack),
            description=f"{API_ERROR_PERCENT}% or more of the calls to {service} failed in "
            "an hour (after retries). See docs/runbooks/patches.md.",
            namespace=names.PATCHES_METRICS_NAMESPACE,
            errors_metric=names.service_metric(service, "ApiErrors"),
            calls_metric=names.service_metric(service, "ApiCalls"),
            dimensions=dict(METRIC_DIMENSIONS),
            percent=API_ERROR_PERCENT,
            period_seconds=3600,
            topic_arn=watch.topic_arn,
            tags=watch.tags,
            parent=watch.parent,
        )
        any_occurrence_alarm(
            f"{name}-{service}-breaker-open",
            name=physical(f"patches-{service}-breaker-open", watch.stack),
            description=f"The {service} circuit breaker is open: runs stop without calling "
            "it until a trial call succeeds. See docs/runbooks/patches.md.",
            namespace=names.PATCHES_METRICS_NAMESPACE,
            metric_name=names.service_metric(service, "BreakerOpen"),
            dimensions=dict(METRIC_DIMENSIONS),
            statistic="Maximum",
            topic_arn=watch.topic_arn,
            tags=watch.tags,
            parent=watch.parent,
            notify_ok=True,
        )
    no_success_alarm(
        f"{name}-no-successful-run",
        name=physical("patches-no-successful-run", watch.stack),
        description=f"No hourly fetch succeeded for {settings.stale_after_hours} "
        "hours: the patches table is falling behind. See docs/runbooks/patches.md.",
        namespace=names.PATCHES_METRICS_NAMESPACE,
        metric_name="SuccessfulRuns",
        dimensions=dict(METRIC_DIMENSIONS),
        hours=settings.stale_after_hours,
        topic_arn=watch.topic_arn,
        tags=watch.tags,
        parent=watch.parent,
    )
