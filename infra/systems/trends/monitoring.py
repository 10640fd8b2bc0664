"""trends' monitoring: the analysis' alarms (no successful analysis, a quota stop), the nightly
video pipeline's (its failed executions kept in a queue that alarms, an alarm on failed
videos, the month's AWS Budget), and the dashboard, one screen for both.

Everything notifies trends' alerts topic, whose policies let CloudWatch, EventBridge and
Budgets publish (``infra/components/alerts.py``).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from chalicelib.trends import names
from infra.components.alarms import any_occurrence_alarm, no_success_alarm
from infra.components.dashboards import MetricGrid
from infra.components.event_queue import EventQueue, EventQueueArgs
from infra.components.monitoring import Watch
from infra.settings import QueueSettings
from infra.systems.trends.settings import TrendsSettings
from shared.names import physical

EXECUTION_METRICS = (
    "ExecutionsStarted",
    "ExecutionsSucceeded",
    "ExecutionsFailed",
    "ExecutionsTimedOut",
)
# An execution that ended in one of these is kept for an operator.
FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
# Nobody consumes the failed executions: an operator reads them (which counts as a receive),
# so a message survives a few looks before it moves to the DLQ, and two weeks in all.
FAILED_EXECUTIONS_QUEUE = QueueSettings(
    visibility_timeout_seconds=30,
    max_receive_count=10,
    dlq_retention_days=14,
    message_retention_days=14,
)
# Budget notifications, in percent of the month's amount: (type, threshold).
BUDGET_NOTIFICATIONS = (("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100))
# Budgets filter on activated cost-allocation tags, spelt ``user:<key>$<value>``.
COST_TAG = "stack"


def failed_executions_pattern(state_machine_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Step Functions' status-change events of one state machine's executions that failed,
    timed out or were aborted."""
    return {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": list(FAILED_STATUSES), "stateMachineArn": [state_machine_arn]},
    }


def failed_executions(name: str, watch: Watch, state_machine_arn: pulumi.Input[str]) -> EventQueue:
    """``trends-failed-executions-<stack>``: every failed execution of the pipeline, kept
    two weeks, with an alarm while one waits (the runbook says how to redrive it)."""
    queue_name = physical("trends-failed-executions", watch.stack)
    return EventQueue(
        name,
        EventQueueArgs(
            rule_name=physical("trends-failed-executions", watch.stack),
            description="The video pipeline's failed, timed-out and aborted executions",
            event_pattern=failed_executions_pattern(state_machine_arn),
            queue_name=queue_name,
            dlq_name=physical("trends-failed-executions-dlq", watch.stack),
            settings=FAILED_EXECUTIONS_QUEUE,
            alarm_topic_arn=watch.topic_arn,
            tags=watch.tags,
            protect=watch.protect,
            waiting_alarm=f"An execution of the video pipeline failed, timed out or was "
            f"aborted: its event waits in {queue_name}. See docs/runbooks/trends.md "
            "(Video pipeline).",
        ),
        opts=pulumi.ResourceOptions(parent=watch.parent),
    )


def videos_failed_alarm(name: str, watch: Watch) -> aws.cloudwatch.MetricAlarm:
    """Any video the pipeline gave up on (``VideosFailed``)."""
    return any_occurrence_alarm(
        name,
        name=physical("trends-videos-failed", watch.stack),
        description="The video pipeline gave up on a video tonight (VideosFailed). See "
        "docs/runbooks/trends.md (Video pipeline).",
        namespace=names.TRENDS_METRICS_NAMESPACE,
        metric_name="VideosFailed",
        dimensions={"service": names.TRENDS_METRICS_SERVICE},
        topic_arn=watch.topic_arn,
        tags=watch.tags,
        parent=watch.parent,
    )


def monthly_budget(
    name: str, watch: Watch, amount_usd: float, emails: list[str]
) -> aws.budgets.Budget:
    """The month's COST budget of the spend tagged ``stack=<stack>``, notifying the alerts
    topic (and ``emails``) at 80 % and 100 % of actual spend, and when the month's forecast
    reaches 100 %, while there is still time to act.

    Budgets' filters AND different dimensions but OR the values of one, so a filter cannot
    say "stack and system": the stack's tag keeps one stack's budget from counting another
    stack's spend in a shared account. The tag must be activated as a cost-allocation tag
    (Billing console) or the budget sees nothing; untagged spend (Polly, Bedrock calls) is
    not counted.
    """
    return aws.budgets.Budget(
        name,
        name=physical("trends-monthly-budget", watch.stack),
        budget_type="COST",
        limit_amount=str(amount_usd),
        limit_unit="USD",
        time_unit="MONTHLY",
        cost_filters=[
            aws.budgets.BudgetCostFilterArgs(
                name="TagKeyValue", values=[f"user:{COST_TAG}${watch.tags[COST_TAG]}"]
            )
        ],
        notifications=[
            aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN",
                threshold=threshold,
                threshold_type="PERCENTAGE",
                notification_type=kind,
                subscriber_sns_topic_arns=[watch.topic_arn],
                subscriber_email_addresses=emails or None,
            )
            for kind, threshold in BUDGET_NOTIFICATIONS
        ],
        tags=watch.tags,
        opts=pulumi.ResourceOptions(parent=watch.parent),
    )


def pipeline_widgets(
    grid: MetricGrid, state_machine_arn: str, budget_usd: float, top: int
) -> list[dict[str, Any]]:
    """The pipeline's rows of trends' dashboard, from row ``top``: executions, videos,
    spend against the budget, each stage's failures and duration."""
    namespace = names.TRENDS_METRICS_NAMESPACE
    service = ["service", names.TRENDS_METRICS_SERVICE]
    machine = ["StateMachineArn", state_machine_arn]
    spend = grid.widget(
        "Spend (USD): videos, month to date",
        [
            [namespace, "VideoCostUsd", *service],
            [namespace, "MonthSpendUsd", *service, {"stat": "Maximum"}],
        ],
        12,
        top + 6,
    )
    spend["properties"]["annotations"] = {
        "horizontal": [{"label": "monthly budget", "value": budget_usd}]
    }
    return [
        grid.widget(
            "Pipeline executions",
            [["AWS/States", metric, *machine] for metric in EXECUTION_METRICS],
            0,
            top,
        ),
        grid.widget(
            "Pipeline execution time (ms, max)",
            [["AWS/States", "ExecutionTime", *machine]],
            12,
            top,
            stat="Maximum",
        ),
        grid.widget(
            "Videos: published, failed, fallback",
            [
                [namespace, metric, *service]
                for metric in ("VideosPublished", "VideosFailed", "FallbackVideos")
            ],
            0,
            top + 6,
        ),
        spend,
        grid.widget(
            "Stage failures",
            [[namespace, "StageFailures", *service, "stage", stage] for stage in names.STAGES],
            0,
            top + 12,
        ),
        grid.widget(
            "Stage duration (ms, max)",
            [[namespace, "StageDuration", *service, "stage", stage] for stage in names.STAGES],
            12,
            top + 12,
            stat="Maximum",
        ),
    ]


# powertools writes the ``service`` dimension on every EMF metric.
METRIC_DIMENSIONS = {"service": names.TRENDS_METRICS_SERVICE}


def alarms(name: str, watch: Watch, settings: TrendsSettings) -> None:
    """trends' own alarms; the function's Errors and the failed-events queue's depth
    come with the platform (``FleetSystem``)."""
    no_success_alarm(
        f"{name}-no-successful-analysis",
        name=physical("trends-no-successful-analysis", watch.stack),
        description=f"No trend analysis ranked every topic for "
        f"{settings.stale_after_hours} hours: the rankings are getting old. "
        "See docs/runbooks/trends.md.",
        namespace=names.TRENDS_METRICS_NAMESPACE,
        metric_name="SuccessfulRuns",
        dimensions=dict(METRIC_DIMENSIONS),
        hours=settings.stale_after_hours,
        topic_arn=watch.topic_arn,
        tags=watch.tags,
        parent=watch.parent,
    )
    any_occurrence_alarm(
        f"{name}-quota-stop",
        name=physical("trends-quota-stop", watch.stack),
        description="A trend analysis stopped on the YouTube quota (the stack's daily "
        "budget, or YouTube's quotaExceeded): some topics were not ranked. See "
        "docs/runbooks/trends.md.",
        namespace=names.TRENDS_METRICS_NAMESPACE,
        metric_name="QuotaStops",
        dimensions=dict(METRIC_DIMENSIONS),
        topic_arn=watch.topic_arn,
        tags=watch.tags,
        parent=watch.parent,
    )


def dashboard(
    region: str, settings: TrendsSettings, analysis_function: str, pipeline_arn: str
) -> dict[str, Any]:
    """One screen for the on-call: what each run found, the quota, YouTube's health and
    the function's; then the video pipeline (``pipeline_widgets``)."""
    namespace = names.TRENDS_METRICS_NAMESPACE
    service = ["service", names.TRENDS_METRICS_SERVICE]
    grid = MetricGrid(region, period_seconds=3600)
    widget = grid.widget
    return {
        "widgets": [
            widget(
                "Per run: videos scanned, invalid, topics ranked",
                [
                    [namespace, metric, *service]
                    for metric in ("VideosScanned", "InvalidVideos", "TopicsRanked")
                ],
                0,
                0,
            ),
            widget(
                "YouTube quota units used, quota stops",
                [[namespace, "QuotaUnitsUsed", *service], [namespace, "QuotaStops", *service]],
                12,
                0,
            ),
            widget(
                "YouTube calls and errors",
                [
                    [namespace, "YouTubeApiCalls", *service],
                    [namespace, "YouTubeApiErrors", *service],
                ],
                0,
                6,
            ),
            widget(
                "YouTube latency (ms, p50 / p95)",
                [
                    [namespace, "YouTubeApiLatency", *service, {"stat": "p50"}],
                    [namespace, "YouTubeApiLatency", *service, {"stat": "p95"}],
                ],
                12,
                6,
                stat="p50",
            ),
            widget(
                "Analysis: errors and duration (max, ms)",
                [
                    ["AWS/Lambda", "Errors", "FunctionName", analysis_function],
                    [
                        "AWS/Lambda",
                        "Duration",
                        "FunctionName",
                        analysis_function,
                        {"stat": "Maximum"},
                    ],
                ],
                0,
                12,
            ),
            *pipeline_widgets(
                grid, pipeline_arn, settings.video_pipeline.monthly_budget_usd, top=18
            ),
        ]
    }
