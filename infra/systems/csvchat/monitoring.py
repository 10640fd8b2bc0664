"""csvchat's own alarms and its dashboard (seed 003: chat response and query times, error
rates, alerting). Every metric of the chat is one ``chalicelib.csvchat.names`` names and
the app emits (EMF, powertools' ``service`` dimension); the functions' Errors and the API's
5xx-rate alarms come with the app (``FleetSystem.chalice_app``)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from chalicelib.csvchat import names
from infra.components.alarms import FIVE_MINUTES, error_rate_alarm
from infra.components.dashboards import MetricGrid
from infra.components.monitoring import Watch
from infra.systems.csvchat.settings import CsvchatSettings
from shared.names import physical

DIMENSIONS = {"service": names.METRICS_SERVICE}
# A p95 over a few replies is noisy: the alarm waits for three slow periods in a row.
P95_PERIODS = 3
RATE_PERIOD_SECONDS = 900
# The rate alarms: (alarm's base name, the count divided by Questions, setting, what it means).
RATES = (
    ("csvchat-model-error-rate", "model_failed", "model_error_alarm_percent", "Bedrock failed"),
    ("csvchat-throttle-rate", "throttled", "throttle_alarm_percent", "Bedrock throttled"),
    ("csvchat-refusal-rate", "refused", "refusal_alarm_percent", "the guard refused the SQL of"),
)


def alarms(name: str, watch: Watch, settings: CsvchatSettings) -> None:
    """The reply's p95 against the seed's 2 s, and the share of questions that failed at
    the model, were throttled, or were refused (docs/runbooks/csvchat.md says what to do)."""
    metric = names.REPLY_TIMINGS["total"]
    aws.cloudwatch.MetricAlarm(
        f"{name}-reply-p95",
        name=physical("csvchat-reply-p95", watch.stack),
        alarm_description=f"The p95 chat reply took over {settings.reply_p95_alarm_ms} "
        f"ms for {P95_PERIODS * FIVE_MINUTES // 60} minutes. See docs/runbooks/csvchat.md.",
        namespace=names.METRICS_NAMESPACE,
        metric_name=metric,
        dimensions=dict(DIMENSIONS),
        extended_statistic="p95",
        period=FIVE_MINUTES,
        evaluation_periods=P95_PERIODS,
        threshold=settings.reply_p95_alarm_ms,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[watch.topic_arn],
        ok_actions=[watch.topic_arn],
        tags=watch.tags,
        opts=pulumi.ResourceOptions(parent=watch.parent),
    )
    for base, count, setting, what in RATES:
        percent = float(getattr(settings, setting))
        error_rate_alarm(
            f"{name}-{base.removeprefix('csvchat-')}",
            name=physical(base, watch.stack),
            description=f"{what} {percent}% or more of the questions in "
            f"{RATE_PERIOD_SECONDS // 60} minutes. See docs/runbooks/csvchat.md.",
            namespace=names.METRICS_NAMESPACE,
            errors_metric=names.REPLY_COUNTS[count],
            calls_metric=names.REPLY_COUNTS["questions"],
            dimensions=dict(DIMENSIONS),
            percent=percent,
            period_seconds=RATE_PERIOD_SECONDS,
            topic_arn=watch.topic_arn,
            tags=watch.tags,
            parent=watch.parent,
        )


def dashboard(stack: str, region: str, functions: list[str], api: str) -> dict[str, Any]:
    """One screen for the on-call: how long replies take and where the time goes, how many
    questions came, were refused or failed, the functions' errors and the API's traffic."""
    service = ["service", names.METRICS_SERVICE]

    def app(metric: str, **options: Any) -> list[Any]:
        return [names.METRICS_NAMESPACE, metric, *service, *([options] if options else [])]

    grid = MetricGrid(region, period_seconds=FIVE_MINUTES)
    widget, api_traffic = grid.widget, grid.api_traffic

    timings = names.REPLY_TIMINGS.values()
    query = names.REPLY_TIMINGS["query"]
    counts = names.REPLY_COUNTS
    return {
        "widgets": [
            widget("Reply p50 by part (ms)", [app(m) for m in timings], 0, 0, "p50"),
            widget("Reply p95 by part (ms)", [app(m) for m in timings], 12, 0, "p95"),
            widget(
                "Query time (ms; p50, p95, max)",
                [app(query), app(query, stat="p95"), app(query, stat="Maximum")],
                0,
                6,
                "p50",
            ),
            widget(
                "Questions and refusals",
                [app(counts["questions"]), app(counts["refused"])],
                12,
                6,
                "Sum",
            ),
            widget(
                "Model throttles and errors, failed queries",
                [app(counts[c]) for c in ("throttled", "model_failed", "query_failed")],
                0,
                12,
                "Sum",
            ),
            widget(
                "Functions: errors",
                [["AWS/Lambda", "Errors", "FunctionName", f] for f in functions],
                12,
                12,
                "Sum",
            ),
            api_traffic("API: requests, 4xx, 5xx", api, stack, 0, 18),
        ]
    }
