"""The local stack's CloudWatch: a thread of the stack's process that, every second, gathers
data points (the functions' new log lines, the depth of each queue an alarm watches), then
evaluates every alarm in the local AWS endpoint and acts on each change of state, as
CloudWatch does: the alarm's state set (``aws cloudwatch describe-alarms`` shows it), one
console line ``[alarm] <name> -> ALARM (<reason>)``, and the notification published to the
alarm's topics for that state, e-mail subscribers' copies landing in the inbox
(``inbox.py``).

Alarms and metric filters are read from the endpoint each time, so the program's (created
by ``MotoMocks``) and any added by hand are evaluated alike. A fresh stack starts quiet:
each alarm's first move, from INSUFFICIENT_DATA to OK, is neither printed nor notified
(CloudWatch would notify OK for every new alarm with OK actions).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from devstack.services.cloudwatch.alarms import (
    DEFAULT_SPEEDUP,
    INSUFFICIENT_DATA,
    OK,
    Alarm,
    UnsupportedAlarmError,
    alarm_from_description,
    evaluate,
    local_period,
)
from devstack.services.cloudwatch.inbox import Inbox, alarm_message
from devstack.services.cloudwatch.log_metrics import (
    LogTail,
    MetricFilter,
    line_points,
    metric_filters,
)
from devstack.services.cloudwatch.metrics import DataPoint, MetricKey, MetricStore

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_sqs import SQSClient

INTERVAL_SECONDS = 1.0
# SQS's CloudWatch metrics (dimension QueueName) and the queue attribute each one samples.
QUEUE_METRICS = {
    "ApproximateNumberOfMessagesVisible": "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible": "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed": "ApproximateNumberOfMessagesDelayed",
}
# Points of metrics no alarm reads are kept this long (an alarm added by hand finds some).
UNWATCHED_RETENTION_SECONDS = 600.0


def _console(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class AlarmWatch:
    """Evaluates the endpoint's alarms on what the stack observes; ``start`` runs it every
    second in a thread, ``tick`` once (tests)."""

    def __init__(
        self,
        # CloudWatch and CloudWatch Logs clients: the dev extra has no mypy_boto3 stubs of
        # either, so they are untyped here.
        cloudwatch: Any,
        logs: Any,
        sqs: SQSClient,
        inbox: Inbox,
        log_dir: Path,
        region: str,
        speedup: float = DEFAULT_SPEEDUP,
        report: Callable[[str], None] = _console,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cloudwatch, self.logs, self.sqs = cloudwatch, logs, sqs
        self.inbox = inbox
        self.region = region
        self.speedup = speedup
        self.report = report
        self.clock = clock
        self.store = MetricStore()
        self.tail = LogTail(log_dir)
        self.started = clock()
        self.states: dict[str, str] = {}
        self._announced: set[str] = set()  # alarms whose changes are told (see the docstring)
        self._told_unsupported: set[str] = set()
        self._queue_urls: dict[str, str] = {}
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alarm-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(INTERVAL_SECONDS):
            try:
                self.tick()
            except (BotoCoreError, ClientError, OSError) as err:
                # The endpoint stopping under it, or a log file rotated by hand: next second.
                self.report(f"[alarm] evaluation skipped: {err}")

    def tick(self) -> None:
        """Gather, evaluate every alarm, act on each change."""
        now = self.clock()
        self._read_logs(now)
        alarms = self._alarms()
        self._sample_queues(alarms, now)
        for alarm in alarms:
            self._evaluate(alarm, now)
        keep: dict[MetricKey, float] = {}
        for alarm in alarms:
            since = now - local_period(alarm, self.speedup) * alarm.evaluation_periods
            for key in alarm.metric_keys():
                keep[key] = min(since, keep.get(key, since))
        self.store.prune(keep, now - UNWATCHED_RETENTION_SECONDS)

    def _unsupported(self, name: str, reason: str) -> None:
        if name not in self._told_unsupported:
            self._told_unsupported.add(name)
            self.report(f"[alarm] {name}: not evaluated locally ({reason})")

    def _filters(self) -> list[MetricFilter]:
        described = []
        for page in self.logs.get_paginator("describe_metric_filters").paginate():
            described.extend(page["metricFilters"])
        usable, skipped = metric_filters(described)
        for name in skipped:
            self._unsupported(name, "its filter pattern or metric value")
        return usable

    def _read_logs(self, now: float) -> None:
        filters = self._filters()
        for function, lines in self.tail.read().items():
            for line in lines:
                self.store.put(line_points(function, line, filters, now))

    def _alarms(self) -> list[Alarm]:
        alarms = []
        for page in self.cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmTypes=["MetricAlarm"]
        ):
            for described in page["MetricAlarms"]:
                try:
                    alarms.append(alarm_from_description(described))
                except UnsupportedAlarmError as err:
                    self._unsupported(described["AlarmName"], str(err))
        return alarms

    def _sample_queues(self, alarms: list[Alarm], now: float) -> None:
        """One sample of each queue metric an alarm watches (SQS reports them itself)."""
        for key in {k for a in alarms for k in a.metric_keys()}:
            dimensions = dict(key.dimensions)
            watched = key.namespace == "AWS/SQS" and key.name in QUEUE_METRICS
            if not watched or set(dimensions) != {"QueueName"}:
                continue
            url = self._queue_url(dimensions["QueueName"])
            if url is None:
                continue
            attribute = QUEUE_METRICS[key.name]
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[attribute],  # type: ignore[list-item]
            )["Attributes"]
            self.store.put([DataPoint(key, float(attributes[attribute]), now)])  # type: ignore[index]

    def _queue_url(self, name: str) -> str | None:
        if name not in self._queue_urls:
            try:
                self._queue_urls[name] = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            except self.sqs.exceptions.QueueDoesNotExist:
                return None
        return self._queue_urls[name]

    def _evaluate(self, alarm: Alarm, now: float) -> None:
        first = alarm.name not in self.states
        previous = self.states.get(alarm.name, INSUFFICIENT_DATA)
        new = evaluate(alarm, self.store, now, self.started, self.speedup, previous)
        if new.state == previous and not first:
            return
        self.states[alarm.name] = new.state
        self.cloudwatch.set_alarm_state(
            AlarmName=alarm.name, StateValue=new.state, StateReason=new.reason[:1023]
        )
        quiet_start = previous == INSUFFICIENT_DATA and alarm.name not in self._announced
        if new.state == previous or (quiet_start and new.state == OK):
            return
        self._announced.add(alarm.name)
        self.report(f"[alarm] {alarm.name} -> {new.state} ({new.reason})")
        at = datetime.fromtimestamp(now, UTC)
        message = alarm_message(alarm, previous, new, self.region, at)
        for topic in alarm.actions(new.state):
            if topic.startswith("arn:aws:sns:"):
                self.inbox.deliver(topic, message, at)
