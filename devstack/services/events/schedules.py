"""EventBridge schedule expressions, evaluated locally: ``rate(5 minutes)`` and
``cron(0 6 ? * MON-FRI *)``, in UTC (rules) or in a schedule's time zone (EventBridge
Scheduler: ``ScheduleExpressionTimezone``).

croniter evaluates the cron part. AWS's dialect differs from classic cron in three ways,
handled here: six fields (the last is the year), ``?`` for "any" in day-of-month or
day-of-week, and numeric days of the week counted 1-7 from Sunday (croniter: 0-6).

In a time zone, a cron is evaluated on the zone's wall clock, as Scheduler does across
daylight saving: a time the clocks skip (spring forward) does not fire that day, a time
they pass twice (fall back) fires once, at its first occurrence. A rate counts real time
(a day is 24 hours, whatever the clocks do).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from devstack.services.outputs import ACCOUNT_ID

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleExpressionError(ValueError):
    """Not an EventBridge schedule expression this runtime can evaluate."""


def _aws_weekdays(field: str) -> str:
    """AWS day-of-week numbers (1 = Sunday) to croniter's (0 = Sunday); names stay."""
    return re.sub(r"\d+", lambda m: str(int(m.group()) - 1), field)


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the zone's clocks ever show ``wall`` (naive): not in a spring-forward gap."""
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


@dataclass(frozen=True)
class Schedule:
    expression: str
    interval: timedelta | None = None
    cron: str | None = None
    # An IANA zone (EventBridge Scheduler's); None: UTC (EventBridge rules).
    timezone: str | None = None

    def next_after(self, moment: datetime) -> datetime:
        """The first firing strictly after ``moment`` (a rate counts from ``moment``); the
        result is in ``moment``'s zone (aware in, aware out)."""
        if self.cron is not None:
            if self.timezone is not None:
                return self._next_on_wall_clock(moment, ZoneInfo(self.timezone))
            next_time: datetime = croniter(self.cron, moment).get_next(datetime)
            return next_time
        if self.interval is not None:
            return moment + self.interval
        raise ScheduleExpressionError(f"{self.expression}: neither a rate nor a cron")

    def _next_on_wall_clock(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """Walk the cron's wall-clock times in ``zone`` from ``moment``'s, skipping those
        the clocks skip and taking a repeated one at its first occurrence (``fold=0``)."""
        wall = moment.astimezone(zone).replace(tzinfo=None)
        times = croniter(str(self.cron), wall)
        while True:
            candidate: datetime = times.get_next(datetime)
            if not _exists(candidate, zone):
                continue
            aware = candidate.replace(tzinfo=zone, fold=0)
            if aware > moment:
                return aware.astimezone(moment.tzinfo)


def parse_schedule(expression: str, timezone: str | None = None) -> Schedule:
    """Raises ScheduleExpressionError, naming what is wrong (an unknown zone too)."""
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ValueError, KeyError) as err:
            raise ScheduleExpressionError(f"{timezone!r}: not an IANA time zone") from err
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if value < 1:
            raise ScheduleExpressionError(f"{expression}: the rate must be at least 1")
        return Schedule(
            expression, interval=timedelta(seconds=value * _UNITS[unit]), timezone=timezone
        )
    cron = _CRON.match(expression)
    if not cron:
        raise ScheduleExpressionError(f"{expression}: expected rate(...) or cron(...)")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ScheduleExpressionError(f"{expression}: AWS cron has 6 fields, got {len(fields)}")
    minute, hour, day, month, weekday, year = fields
    if year != "*":
        raise ScheduleExpressionError(f"{expression}: only '*' is supported for the year")
    if "?" not in (day, weekday):
        raise ScheduleExpressionError(f"{expression}: day-of-month or day-of-week must be '?'")
    classic = " ".join(
        [minute, hour, day.replace("?", "*"), month, _aws_weekdays(weekday.replace("?", "*"))]
    )
    if not croniter.is_valid(classic):
        raise ScheduleExpressionError(f"{expression}: not a valid cron expression")
    return Schedule(expression, cron=classic, timezone=timezone)


@dataclass
class ScheduledTarget:
    """One rule of the program, what it targets (a function's or a state machine's ARN, and
    the target's fixed ``input`` if it sets one: else EventBridge sends the event), when it
    fires next, and the target's dead-letter queue (an SQS ARN) for an event it could not
    deliver."""

    rule: str
    schedule: Schedule
    target_arn: str
    input: str | None
    next_fire: datetime
    dead_letter_arn: str | None = None
    # An EventBridge Scheduler schedule (``rule`` is its ARN): its input is a template.
    scheduler: bool = False

    def due(self, now: datetime) -> bool:
        """True (and the next firing moved on) when the target should fire at ``now``."""
        if now < self.next_fire:
            return False
        self.next_fire = self.schedule.next_after(now)
        return True

    def event(self, region: str, now: datetime) -> str:
        """What the target gets when it fires at ``now``: a rule's fixed input or its
        scheduled event; a Scheduler schedule's input with its context attributes filled
        in (``<aws.scheduler.scheduled-time>``...) as Scheduler fills them."""
        if self.scheduler:
            return scheduler_input(self.input or "{}", self.rule, now)
        return self.input or json.dumps(scheduled_event(self.rule, region, now))


def scheduler_input(template: str, schedule_arn: str, now: datetime, attempt: int = 1) -> str:
    """A Scheduler target's input with the context attributes replaced."""
    values = {
        "<aws.scheduler.schedule-arn>": schedule_arn,
        "<aws.scheduler.scheduled-time>": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.execution-id>": str(uuid.uuid4()),
        "<aws.scheduler.attempt-number>": str(attempt),
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def scheduled_event(rule_arn: str, region: str, now: datetime) -> dict[str, Any]:
    """What EventBridge sends a target when a schedule fires."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
