"""Alarms that notify the system's alert topic."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

FIVE_MINUTES = 300


def function_errors_alarm(
    name: str,
    function_name: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Any invocation error in five minutes: for a queue consumer, a batch that crashed."""
    return aws.cloudwatch.MetricAlarm(
        f"{name}-errors",
        name=pulumi.Output.concat(function_name, "-errors"),
        alarm_description="The function raised errors (see its log group).",
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": function_name},
        statistic="Sum",
        period=FIVE_MINUTES,
        evaluation_periods=1,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
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
        self.alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-alarm",
            name=args.alarm_name,
            alarm_description=args.description,
            namespace=args.namespace,
            metric_name=args.metric_name,
            statistic="Sum",
            period=FIVE_MINUTES,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[args.topic_arn],
            tags=args.tags,
            opts=child,
        )
        self.register_outputs({})
