"""EventBridge schedule expressions evaluated by the local stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devstack.services.events.schedules import (
    ScheduledTarget,
    ScheduleExpressionError,
    parse_schedule,
    scheduled_event,
)

MONDAY_0700 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("expression", "after"),
    [
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(2 days)", timedelta(days=2)),
    ],
)
def test_a_rate_fires_its_interval_after_the_last_firing(expression: str, after: timedelta) -> None:
    assert parse_schedule(expression).next_after(MONDAY_0700) == MONDAY_0700 + after


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 6 * * ? *)", datetime(2026, 11, 24, 6, 0, tzinfo=UTC)),
        ("cron(30 7 ? * MON-FRI *)", datetime(2026, 11, 23, 7, 30, tzinfo=UTC)),
        # AWS counts days of the week from Sunday = 1: 2 is Monday, 7 is Saturday.
        ("cron(0 9 ? * 2 *)", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        ("cron(0 9 ? * 7 *)", datetime(2026, 11, 28, 9, 0, tzinfo=UTC)),
        ("cron(0 0 1 * ? *)", datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_aws_cron_fires_when_aws_would(expression: str, expected: datetime) -> None:
    assert parse_schedule(expression).next_after(MONDAY_0700) == expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("every 5 minutes", "expected rate"),
        ("rate(0 minutes)", "at least 1"),
        ("rate(5 weeks)", "expected rate"),
        ("cron(0 6 * * *)", "6 fields"),
        ("cron(0 6 * * ? 2027)", "year"),
        ("cron(0 6 * * MON *)", "must be '?'"),
        ("cron(61 6 * * ? *)", "not a valid cron"),
    ],
)
def test_an_expression_aws_would_refuse_is_refused_with_the_reason(
    expression: str, reason: str
) -> None:
    with pytest.raises(ScheduleExpressionError, match=reason):
        parse_schedule(expression)


def test_a_target_fires_once_when_due_then_waits_for_its_next_time() -> None:
    schedule = parse_schedule("rate(5 minutes)")
    target = ScheduledTarget(
        "rule", schedule, "arn:fn", None, next_fire=schedule.next_after(MONDAY_0700)
    )

    moments = [MONDAY_0700 + timedelta(minutes=m) for m in (1, 5, 6, 9, 10)]

    assert [target.due(m) for m in moments] == [False, True, False, False, True]


def test_a_scheduled_event_has_eventbridges_shape() -> None:
    event = scheduled_event("arn:aws:events:eu-north-1:1:rule/r", "eu-north-1", MONDAY_0700)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:eu-north-1:1:rule/r"]
    assert event["time"] == "2026-11-23T07:00:00Z"
