"""EventBridge Scheduler schedules fired by the local stack in their time zone, as Scheduler
fires them across daylight saving: trends' 8 AM and 2 AM New York schedules (seed 002 §6.1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from devstack.services.events.schedules import (
    ScheduledTarget,
    ScheduleExpressionError,
    parse_schedule,
    scheduler_input,
)

NEW_YORK = "America/New_York"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def firings(expression: str, start: datetime, count: int, zone: str = NEW_YORK) -> list[datetime]:
    schedule = parse_schedule(expression, zone)
    found, moment = [], start
    for _ in range(count):
        moment = schedule.next_after(moment)
        found.append(moment)
    return found


def test_8_am_new_york_stays_8_am_on_the_wall_clock_when_daylight_saving_starts() -> None:
    # Clocks go forward at 2 AM on Sunday 8 March 2026: 8 AM is 13:00 UTC before, 12:00 after.
    assert firings("cron(0 8 * * ? *)", utc(2026, 3, 6, 14), 3) == [
        utc(2026, 3, 7, 13),
        utc(2026, 3, 8, 12),
        utc(2026, 3, 9, 12),
    ]


def test_8_am_new_york_stays_8_am_when_daylight_saving_ends() -> None:
    # Clocks go back at 2 AM on Sunday 1 November 2026: 8 AM is 12:00 UTC, then 13:00.
    assert firings("cron(0 8 * * ? *)", utc(2026, 10, 31, 0), 2) == [
        utc(2026, 10, 31, 12),
        utc(2026, 11, 1, 13),
    ]


def test_2_am_is_skipped_on_the_day_the_clocks_skip_it() -> None:
    # 2:00-2:59 AM does not exist in New York on 8 March 2026: Scheduler skips that run.
    assert firings("cron(0 2 * * ? *)", utc(2026, 3, 7, 0), 2) == [
        utc(2026, 3, 7, 7),  # 2 AM EST
        utc(2026, 3, 9, 6),  # 2 AM EDT, the next day that has one
    ]


def test_a_time_the_clocks_pass_twice_fires_once_at_its_first_occurrence() -> None:
    # 1:30 AM happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST) on 1 November 2026.
    assert firings("cron(30 1 * * ? *)", utc(2026, 10, 31, 6), 3) == [
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 2, 6, 30),
        utc(2026, 11, 3, 6, 30),
    ]


def test_a_rate_counts_real_hours_across_the_change() -> None:
    assert firings("rate(1 day)", utc(2026, 3, 7, 13), 1) == [utc(2026, 3, 8, 13)]


def test_without_a_zone_a_cron_is_utc_as_eventbridge_rules_are() -> None:
    assert parse_schedule("cron(0 8 * * ? *)").next_after(utc(2026, 3, 8, 0)) == utc(2026, 3, 8, 8)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ScheduleExpressionError, match="IANA"):
        parse_schedule("cron(0 8 * * ? *)", "America/Atlantis")


def test_a_scheduler_target_gets_its_input_with_the_context_attributes_filled_in() -> None:
    template = json.dumps(
        {
            "schedule": "trends-daily-analysis-dev",
            "scheduled_time": "<aws.scheduler.scheduled-time>",
            "attempt": "<aws.scheduler.attempt-number>",
        }
    )
    arn = "arn:aws:scheduler:eu-north-1:123456789012:schedule/default/trends-daily-analysis-dev"
    target = ScheduledTarget(
        rule=arn,
        schedule=parse_schedule("cron(0 8 * * ? *)", NEW_YORK),
        target_arn="arn:aws:lambda:eu-north-1:123456789012:function:trends-analyze-trends-dev",
        input=template,
        next_fire=utc(2026, 3, 8, 12),
        scheduler=True,
    )

    event = json.loads(target.event("eu-north-1", utc(2026, 3, 8, 12, 0, 3)))

    assert event == {
        "schedule": "trends-daily-analysis-dev",
        "scheduled_time": "2026-03-08T12:00:03Z",
        "attempt": "1",
    }
    assert arn in scheduler_input("<aws.scheduler.schedule-arn>", arn, utc(2026, 1, 1))
