"""Alarms that notify the system's alert topic."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

FIVE_MINUTES = 300


def any_occurrence_alarm(
    resource_name: str,
    *,
    name: pulumi.Input[str],
    description: str,
    namespace: str,
    metric_name: str,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
    dimensions: dict[str, pulumi.Input[str]] | None = None,
    statistic: str = "Sum",
    notify_ok: bool = False,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when the metric reaches 1 in any five minutes (no data counts as fine)."""
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric_name,
        dimensions=dimensions,
        statistic=statistic,
        period=FIVE_MINUTES,
        evaluation_periods=1,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn] if notify_ok else None,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def messages_waiting_alarm(
    resource_name: str,
    *,
    queue_name: str,
    queue_name_output: pulumi.Input[str],
    description: str,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """``<queue>-not-empty``: any message waiting in a queue nobody consumes (a DLQ, a
    failed-events queue) is work that did not happen; OK again once it is empty."""
    return any_occurrence_alarm(
        resource_name,
        name=f"{queue_name}-not-empty",
        description=description,
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue_name_output},
        statistic="Maximum",
        topic_arn=topic_arn,
        tags=tags,
        parent=parent,
        notify_ok=True,
    )


def function_errors_alarm(
    name: str,
    function_name: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Any invocation error in five minutes: for a queue consumer, a batch that crashed."""
    return any_occurrence_alarm(
        f"{name}-errors",
        name=pulumi.Output.concat(function_name, "-errors"),
        description="The function raised errors (see its log group).",
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": function_name},
        topic_arn=topic_arn,
        tags=tags,
        parent=parent,
    )


@dataclass
class LogMarkerAlarmArgs:
    log_group_name: pulumi.Input[str]
    marker: str
    namespace: str
    metric_name: str
    alarm_name: str
    description: str
    topic_arn: pulumi.Input[str]
    tags: dict[str, str]


def marker_pattern(marker: str) -> str:
    """The CloudWatch Logs filter pattern that matches lines containing ``marker``."""
    return f'"{marker}"'


class LogMarkerAlarm(pulumi.ComponentResource):
    """A log line with a fixed marker -> a custom metric -> an alarm on any occurrence."""

    def __init__(
        self, name: str, args: LogMarkerAlarmArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:monitoring:LogMarkerAlarm", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.metric_filter = aws.cloudwatch.LogMetricFilter(
            f"{name}-filter",
            name=args.alarm_name,
            log_group_name=args.log_group_name,
            pattern=marker_pattern(args.marker),
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=args.metric_name,
                namespace=args.namespace,
                value="1",
                default_value="0",
            ),
            opts=child,
        )
        self.alarm = any_occurrence_alarm(
            f"{name}-alarm",
            name=args.alarm_name,
            description=args.description,
            namespace=args.namespace,
            metric_name=args.metric_name,
            topic_arn=args.topic_arn,
            tags=args.tags,
            parent=self,
        )
        self.register_outputs({})


def error_rate_alarm(
    resource_name: str,
    *,
    name: pulumi.Input[str],
    description: str,
    namespace: str,
    errors_metric: str,
    calls_metric: str,
    dimensions: dict[str, pulumi.Input[str]],
    percent: float,
    period_seconds: int,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when ``100 * errors / calls`` reaches ``percent`` over one period (metric math;
    a period without calls is fine)."""

    def query(query_id: str, metric: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            return_data=False,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=namespace,
                metric_name=metric,
                dimensions=dimensions,
                period=period_seconds,
                stat="Sum",
            ),
        )

    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=name,
        alarm_description=description,
        metric_queries=[
            query("errors", errors_metric),
            query("calls", calls_metric),
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="rate",
                expression="100 * errors / calls",
                label="error rate (%)",
                return_data=True,
            ),
        ],
        evaluation_periods=1,
        threshold=percent,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def no_success_alarm(
    resource_name: str,
    *,
    name: pulumi.Input[str],
    description: str,
    namespace: str,
    metric_name: str,
    dimensions: dict[str, pulumi.Input[str]],
    hours: int,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when a success metric sums to nothing for ``hours`` hours in a row. Missing data
    is breaching: a function that stopped running reports nothing at all."""
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric_name,
        dimensions=dimensions,
        statistic="Sum",
        period=3600,
        evaluation_periods=hours,
        threshold=1,
        comparison_operator="LessThanThreshold",
        treat_missing_data="breaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def api_5xx_rate_alarm(
    resource_name: str,
    *,
    api_name: pulumi.Input[str],
    stage: str,
    percent: float,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when ``percent`` of a REST API stage's requests in five minutes end in a 5xx
    (API Gateway's 5XXError averaged is that fraction)."""
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=pulumi.Output.concat(api_name, "-5xx-rate"),
        alarm_description=f"{percent}% or more of the API's requests failed with a 5xx.",
        namespace="AWS/ApiGateway",
        metric_name="5XXError",
        dimensions={"ApiName": api_name, "Stage": stage},
        statistic="Average",
        period=FIVE_MINUTES,
        evaluation_periods=1,
        threshold=percent / 100,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
