"""How the local stack evaluates a CloudWatch alarm: statistics, the threshold's comparison,
M out of N periods, missing data, periods shortened locally, metric math; and how CloudWatch's
notification is worded (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.services.cloudwatch.alarms import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    UnsupportedAlarmError,
    alarm_from_description,
    evaluate,
    local_period,
)
from devstack.services.cloudwatch.inbox import alarm_message, email_body, subject
from devstack.services.cloudwatch.metrics import DataPoint, MetricKey, MetricStore, statistic

STARTED = 1_000_000.0
DLQ = MetricKey.of(
    "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": "ai-whatsapp-dlq-dev"}
)


def dlq_alarm(**changes: Any) -> dict[str, Any]:
    """A DLQ-depth alarm as DescribeAlarms returns it (the program's QueueWithDlq)."""
    return {
        "AlarmName": "ai-whatsapp-dlq-dev-not-empty",
        "AlarmArn": "arn:aws:cloudwatch:eu-north-1:123456789012:alarm:dlq-not-empty",
        "AlarmDescription": "Messages in the DLQ.",
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [{"Name": "QueueName", "Value": "ai-whatsapp-dlq-dev"}],
        "Statistic": "Maximum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": ["arn:aws:sns:eu-north-1:123456789012:alerts"],
        "OKActions": ["arn:aws:sns:eu-north-1:123456789012:alerts"],
        **changes,
    }


def store_with(*points: tuple[MetricKey, float, float]) -> MetricStore:
    store = MetricStore()
    store.put(DataPoint(key, value, at) for key, value, at in points)
    return store


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sum", 10.0),
        ("Average", 2.5),
        ("Maximum", 4.0),
        ("Minimum", 1.0),
        ("SampleCount", 4.0),
        ("p50", 2.0),
        ("p100", 4.0),
    ],
)
def test_each_statistic_is_cloudwatchs(name: str, expected: float) -> None:
    assert statistic([3.0, 1.0, 4.0, 2.0], name) == expected


def test_an_unknown_statistic_makes_the_alarm_unsupported() -> None:
    with pytest.raises(UnsupportedAlarmError, match="Median"):
        alarm_from_description(dlq_alarm(Statistic="Median"))


def test_a_five_minute_period_is_five_seconds_locally_unless_missing_data_breaches() -> None:
    assert local_period(alarm_from_description(dlq_alarm()), 60) == 5
    assert local_period(alarm_from_description(dlq_alarm(Period=60)), 600) == 2  # the floor
    hourly = dlq_alarm(Period=3600, TreatMissingData="breaching")
    assert local_period(alarm_from_description(hourly), 60) == 3600


def test_a_message_in_the_dlq_raises_the_alarm_with_cloudwatchs_reason() -> None:
    alarm = alarm_from_description(dlq_alarm())
    now = STARTED + 60
    store = store_with((DLQ, 0.0, now - 3), (DLQ, 1.0, now - 1))

    evaluation = evaluate(alarm, store, now, STARTED)

    assert evaluation.state == ALARM
    assert evaluation.reason.startswith("Threshold Crossed: 1 datapoint [1.0 (")
    assert evaluation.reason.endswith("was greater than or equal to the threshold (1.0)."), (
        evaluation.reason
    )


def test_the_alarm_returns_to_ok_once_a_local_period_passes_without_a_breach() -> None:
    alarm = alarm_from_description(dlq_alarm())
    now = STARTED + 60
    store = store_with((DLQ, 1.0, now - 6), (DLQ, 0.0, now - 1))  # 5 s windows

    evaluation = evaluate(alarm, store, now, STARTED, current=ALARM)

    assert evaluation.state == OK
    assert "was not greater than or equal to the threshold" in evaluation.reason


@pytest.mark.parametrize(
    ("comparison", "value", "state"),
    [
        ("GreaterThanOrEqualToThreshold", 5.0, ALARM),
        ("GreaterThanThreshold", 5.0, OK),
        ("GreaterThanThreshold", 5.1, ALARM),
        ("LessThanThreshold", 4.9, ALARM),
        ("LessThanThreshold", 5.0, OK),
        ("LessThanOrEqualToThreshold", 5.0, ALARM),
    ],
)
def test_the_comparison_is_the_alarms(comparison: str, value: float, state: str) -> None:
    alarm = alarm_from_description(dlq_alarm(ComparisonOperator=comparison, Threshold=5.0))
    now = STARTED + 60
    assert evaluate(alarm, store_with((DLQ, value, now - 1)), now, STARTED).state == state


def test_m_out_of_n_periods_must_breach() -> None:
    alarm = alarm_from_description(dlq_alarm(EvaluationPeriods=3, DatapointsToAlarm=2))
    now = STARTED + 60
    one = store_with((DLQ, 1.0, now - 1), (DLQ, 0.0, now - 6), (DLQ, 0.0, now - 11))
    two = store_with((DLQ, 1.0, now - 1), (DLQ, 0.0, now - 6), (DLQ, 3.0, now - 11))

    assert evaluate(alarm, one, now, STARTED).state == OK
    evaluation = evaluate(alarm, two, now, STARTED)
    assert evaluation.state == ALARM
    assert "2 datapoints out of the last 3" in evaluation.reason
    assert "(minimum 2 datapoints for OK -> ALARM transition)" in evaluation.reason


@pytest.mark.parametrize(
    ("treatment", "state"),
    [
        ("notBreaching", OK),
        ("breaching", ALARM),
        ("missing", INSUFFICIENT_DATA),
        ("ignore", ALARM),  # the state it was in is kept
    ],
)
def test_a_period_without_data_is_treated_as_the_alarm_says(treatment: str, state: str) -> None:
    alarm = alarm_from_description(dlq_alarm(TreatMissingData=treatment, Period=60))
    now = STARTED + 7200

    assert evaluate(alarm, MetricStore(), now, STARTED, current=ALARM).state == state


def test_periods_before_the_stack_started_are_unknown_not_missing() -> None:
    """A fresh stack has no history: "no successful run in 6 hours" must not fire at once."""
    alarm = alarm_from_description(
        dlq_alarm(
            Period=3600,
            EvaluationPeriods=6,
            ComparisonOperator="LessThanThreshold",
            Statistic="Sum",
            TreatMissingData="breaching",
        )
    )

    assert evaluate(alarm, MetricStore(), STARTED + 600, STARTED).state == INSUFFICIENT_DATA
    hour_after_a_run = store_with((DLQ, 1.0, STARTED + 700))
    assert evaluate(alarm, hour_after_a_run, STARTED + 3000, STARTED).state == OK
    # Six whole hours with nothing at all: each one breaches.
    assert evaluate(alarm, MetricStore(), STARTED + 6 * 3600 + 1, STARTED).state == ALARM


def rate_alarm(expression: str = "100 * errors / calls") -> dict[str, Any]:
    """The mentions error-rate alarm's shape: metric math over two EMF metrics."""

    def query(query_id: str, metric: str) -> dict[str, Any]:
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": "ServerlessFleet/Mentions",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "service", "Value": "ingester"}],
                },
                "Period": 3600,
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    return {
        "AlarmName": "mentions-error-rate",
        "Metrics": [
            query("errors", "ApiErrors"),
            query("calls", "ApiCalls"),
            {"Id": "rate", "Expression": expression, "ReturnData": True},
        ],
        "EvaluationPeriods": 1,
        "Threshold": 20.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }


def test_metric_math_divides_the_sums_of_the_period() -> None:
    alarm = alarm_from_description(rate_alarm())
    errors = MetricKey.of("ServerlessFleet/Mentions", "ApiErrors", {"service": "ingester"})
    calls = MetricKey.of("ServerlessFleet/Mentions", "ApiCalls", {"service": "ingester"})
    now = STARTED + 600
    quarter = store_with(
        *[(calls, 1.0, now - 10)] * 4, (errors, 1.0, now - 10), (errors, 0.0, now - 9)
    )
    tenth = store_with(*[(calls, 1.0, now - 10)] * 10, (errors, 1.0, now - 10))

    assert alarm.period == 3600  # a minute locally
    evaluation = evaluate(alarm, quarter, now, STARTED)
    assert evaluation.state == ALARM and "[25.0 (" in evaluation.reason
    assert evaluate(alarm, tenth, now, STARTED).state == OK
    # No calls at all: no value (not a division by zero), which is not breaching.
    assert evaluate(alarm, store_with((errors, 0.0, now - 10)), now, STARTED).state == OK


@pytest.mark.parametrize("expression", ["FILL(errors, 0)", "errors ** 2", "other / calls"])
def test_other_metric_math_is_not_evaluated(expression: str) -> None:
    with pytest.raises(UnsupportedAlarmError, match="metric math"):
        alarm_from_description(rate_alarm(expression))


def test_the_notification_is_cloudwatchs_message_and_e_mail() -> None:
    alarm = alarm_from_description(dlq_alarm())
    now = STARTED + 60
    evaluation = evaluate(alarm, store_with((DLQ, 2.0, now - 1)), now, STARTED)
    at = datetime(2026, 11, 23, 8, 0, 0, 123000, tzinfo=UTC)

    message = alarm_message(alarm, OK, evaluation, "eu-north-1", at)

    assert message["AlarmName"] == "ai-whatsapp-dlq-dev-not-empty"
    assert (message["OldStateValue"], message["NewStateValue"]) == (OK, ALARM)
    assert message["NewStateReason"] == evaluation.reason
    assert message["StateChangeTime"] == "2026-11-23T08:00:00.123+0000"
    assert message["Region"] == "Europe (Stockholm)"
    assert message["Trigger"]["Statistic"] == "MAXIMUM"
    assert message["Trigger"]["Dimensions"] == [
        {"value": "ai-whatsapp-dlq-dev", "name": "QueueName"}
    ]
    assert subject(message) == 'ALARM: "ai-whatsapp-dlq-dev-not-empty" in Europe (Stockholm)'
    assert "has entered the ALARM state" in email_body(message)
    assert "- State Change:               OK -> ALARM" in email_body(message)
