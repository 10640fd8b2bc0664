"""The mentions dashboard: one screen for the on-call."""

from __future__ import annotations

from typing import Any

from chalicelib.mentions import names
from infra.components.dashboards import MetricGrid


def dashboard(stack: str, region: str, ingester: str, reader: str, api: str) -> dict[str, Any]:
    """One screen for the on-call: what each run did, how MentionMind behaves, the functions'
    health and the read API's traffic."""
    namespace = names.MENTIONS_METRICS_NAMESPACE
    service = ["service", names.MENTIONS_INGESTER_SERVICE]

    widget = MetricGrid(region, period_seconds=900).widget

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
            widget(
                "Read API: requests, 4xx, 5xx",
                [
                    ["AWS/ApiGateway", metric, "ApiName", api, "Stage", stack]
                    for metric in ("Count", "4XXError", "5XXError")
                ],
                12,
                12,
            ),
        ]
    }
