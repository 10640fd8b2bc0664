"""The patches dashboard: one screen for the on-call."""

from __future__ import annotations

from typing import Any

from chalicelib.patches import names
from infra.components.dashboards import MetricGrid


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

    widget = MetricGrid(region, period_seconds=3600).widget

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
            widget(
                "Read API: requests, 4xx, 5xx",
                [
                    ["AWS/ApiGateway", metric, "ApiName", api, "Stage", stack]
                    for metric in ("Count", "4XXError", "5XXError")
                ],
                12,
                18,
            ),
        ]
    }
