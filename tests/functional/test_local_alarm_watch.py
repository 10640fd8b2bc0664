"""The local stack's alarms, end to end in one process: a Pulumi program's topic, e-mail
subscription, queue, log group, metric filter and alarms created in moto by ``MotoMocks``,
then ``AlarmWatch`` fed by queue depths and log lines, one tick at a time on a clock the
test moves, delivering each notification to the inbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pulumi_aws as aws
import pytest
from moto import mock_aws

from devstack.mocks import MotoMocks
from devstack.program import run_pulumi
from devstack.services.cloudwatch.alarm_watch import AlarmWatch
from devstack.services.cloudwatch.inbox import Inbox
from devstack.services.cloudwatch.log_metrics import platform_report
from tests.conftest import REGION

FUNCTION = "sample-worker-dev"
EMAIL = "alerts@example.com"


def any_occurrence(name: str, topic: pulumi.Output[str], **metric: Any) -> None:
    """The shape of the program's Errors, DLQ and log-marker alarms."""
    aws.cloudwatch.MetricAlarm(
        name,
        name=name,
        alarm_description=f"{name} happened",
        period=300,
        evaluation_periods=1,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic],
        ok_actions=[topic] if name == "dlq-not-empty" else None,
        **metric,
    )


def program() -> None:
    topic = aws.sns.Topic("alerts", name="sample-alerts-dev")
    aws.sns.TopicSubscription("email", topic=topic.arn, protocol="email", endpoint=EMAIL)
    dlq = aws.sqs.Queue("dlq", name="sample-dlq-dev")
    any_occurrence(
        "dlq-not-empty",
        topic.arn,
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": dlq.name},
        statistic="Maximum",
    )
    any_occurrence(
        "worker-errors",
        topic.arn,
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": FUNCTION},
        statistic="Sum",
    )
    logs = aws.cloudwatch.LogGroup("logs", name=f"/aws/lambda/{FUNCTION}", retention_in_days=7)
    aws.cloudwatch.LogMetricFilter(
        "marker",
        name="final-update-failed",
        log_group_name=logs.name,
        pattern='"CRITICAL_FINAL_DB_UPDATE_FAILED"',
        metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
            name="FinalUpdateFailed", namespace="Sample", value="1", default_value="0"
        ),
    )
    any_occurrence(
        "final-update-failed",
        topic.arn,
        namespace="Sample",
        metric_name="FinalUpdateFailed",
        statistic="Sum",
    )
    query = aws.cloudwatch.MetricAlarmMetricQueryMetricArgs
    aws.cloudwatch.MetricAlarm(
        "error-rate",
        name="error-rate",
        metric_queries=[
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query_id,
                metric=query(
                    namespace="Sample",
                    metric_name=metric,
                    dimensions={"service": "worker"},
                    period=3600,
                    stat="Sum",
                ),
            )
            for query_id, metric in (("errors", "ApiErrors"), ("calls", "ApiCalls"))
        ]
        + [
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="rate", expression="100 * errors / calls", return_data=True
            )
        ],
        evaluation_periods=1,
        threshold=20,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic.arn],
    )


@dataclass
class Watched:
    watch: AlarmWatch
    console: list[str]
    inbox: Path
    log: Path
    clock: list[float]

    def tick(self, seconds: float = 1.0) -> list[str]:
        """Move the clock, tick once; the console lines it printed."""
        self.clock[0] += seconds
        before = len(self.console)
        self.watch.tick()
        return self.console[before:]

    def write(self, *lines: str) -> None:
        with self.log.open("a") as log:
            log.writelines(line + "\n" for line in lines)

    def emails(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted(self.inbox.glob("*.json"))]


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    with mock_aws():
        run_pulumi(program, "dev", MotoMocks(REGION))
        clock = [1_800_000_000.0]
        console: list[str] = []
        logs = tmp_path / "logs"
        logs.mkdir()
        watch = AlarmWatch(
            boto3.client("cloudwatch", region_name=REGION),
            boto3.client("logs", region_name=REGION),
            boto3.client("sqs", region_name=REGION),
            Inbox(tmp_path / "inbox", boto3.client("sns", region_name=REGION)),
            logs,
            REGION,
            report=console.append,
            clock=lambda: clock[0],
        )
        watched = Watched(watch, console, tmp_path / "inbox", logs / f"{FUNCTION}.log", clock)
        watched.tick(6)  # a whole (local) period: every alarm settles, quietly
        yield watched


def states() -> dict[str, str]:
    alarms = boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a["StateValue"] for a in alarms}


def test_the_programs_alarms_filter_and_subscription_are_created_in_moto(
    watched: Watched,
) -> None:
    logs = boto3.client("logs", region_name=REGION)
    (marker,) = logs.describe_metric_filters(logGroupName=f"/aws/lambda/{FUNCTION}")[
        "metricFilters"
    ]
    assert marker["filterPattern"] == '"CRITICAL_FINAL_DB_UPDATE_FAILED"'
    sns = boto3.client("sns", region_name=REGION)
    (subscription,) = sns.list_subscriptions()["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", EMAIL)
    alarms = boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
    rate = next(a for a in alarms if a["AlarmName"] == "error-rate")
    assert [m["Id"] for m in rate["Metrics"]] == ["errors", "calls", "rate"]


def test_a_fresh_stack_starts_quiet(watched: Watched) -> None:
    assert watched.console == []
    assert watched.emails() == []
    # The hourly rate's period, a minute locally, still reaches back before the start.
    assert states() == {
        "dlq-not-empty": "OK",
        "worker-errors": "OK",
        "final-update-failed": "OK",
        "error-rate": "INSUFFICIENT_DATA",
    }
    assert watched.tick(60) == []
    assert states()["error-rate"] == "OK"


def test_a_message_in_the_dlq_notifies_alarm_then_ok_once_it_is_taken(watched: Watched) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.get_queue_url(QueueName="sample-dlq-dev")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="poison")

    (line,) = watched.tick()

    assert line.startswith("[alarm] dlq-not-empty -> ALARM (Threshold Crossed: 1 datapoint [1.0")
    (email,) = watched.emails()
    assert email["to"] == EMAIL
    assert email["subject"] == 'ALARM: "dlq-not-empty" in Europe (Stockholm)'
    assert email["message"]["NewStateValue"] == "ALARM"
    assert email["message"]["OldStateValue"] == "OK"
    assert "has entered the ALARM state" in email["body"]
    assert states()["dlq-not-empty"] == "ALARM"
    assert watched.tick() == []  # told once

    (message,) = sqs.receive_message(QueueUrl=dlq)["Messages"]
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
    assert watched.tick(5) == ["[alarm] dlq-not-empty -> OK (" + states_reason("dlq-not-empty")]
    assert [e["message"]["NewStateValue"] for e in watched.emails()] == ["ALARM", "OK"]


def states_reason(name: str) -> str:
    alarms = boto3.client("cloudwatch", region_name=REGION).describe_alarms(AlarmNames=[name])
    return alarms["MetricAlarms"][0]["StateReason"] + ")"


def test_a_function_error_in_its_log_raises_its_errors_alarm(watched: Watched) -> None:
    watched.write(
        platform_report("r1", "success", 5), platform_report("r2", "error", 5, "KeyError")
    )

    (line,) = watched.tick()

    assert line.startswith("[alarm] worker-errors -> ALARM (Threshold Crossed: 1 datapoint [1.0")
    assert [e["subject"] for e in watched.emails()] == [
        'ALARM: "worker-errors" in Europe (Stockholm)'
    ]
    # No OK action: back to OK on the console only.
    assert watched.tick(5)[0].startswith("[alarm] worker-errors -> OK")
    assert len(watched.emails()) == 1


def test_the_critical_marker_in_the_functions_log_raises_the_marker_alarm(
    watched: Watched,
) -> None:
    watched.write(json.dumps({"level": "CRITICAL", "message": "CRITICAL_FINAL_DB_UPDATE_FAILED"}))

    (line,) = watched.tick()

    assert line.startswith("[alarm] final-update-failed -> ALARM")
    assert watched.emails()[0]["message"]["Trigger"]["MetricName"] == "FinalUpdateFailed"


def test_emf_metrics_feed_a_metric_math_alarm(watched: Watched) -> None:
    def emf(errors: int) -> str:
        return json.dumps(
            {
                "_aws": {
                    "Timestamp": int(watched.clock[0] * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "Sample",
                            "Dimensions": [["service"]],
                            "Metrics": [{"Name": "ApiCalls"}, {"Name": "ApiErrors"}],
                        }
                    ],
                },
                "service": "worker",
                "ApiCalls": [1, 1],
                "ApiErrors": [0, errors],
            }
        )

    watched.write(emf(0))
    assert watched.tick() == []  # 0 %
    watched.write(emf(1), emf(1))

    (line,) = watched.tick()

    assert line.startswith("[alarm] error-rate -> ALARM (Threshold Crossed: 1 datapoint [33.3")
    assert watched.emails()[0]["message"]["Trigger"]["Metrics"][2]["Expression"] == (
        "100 * errors / calls"
    )
