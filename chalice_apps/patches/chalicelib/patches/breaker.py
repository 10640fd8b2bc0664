"""A circuit breaker per outside service whose state every invocation shares, kept in the
state table (``breaker#<service>``), so a schedule's next run and every worker see what the
last one learned.

- closed: calls go through; each failure (after the client's retries) adds one to
  ``failures``, a success resets it. ``failures`` reaching ``BreakerSettings.failures`` opens
  the breaker (``opened_at``).
- open: ``allow`` raises ``CircuitOpenError`` without calling, until ``cooldown_seconds``
  after ``opened_at``.
- then one caller wins a conditional write and becomes the trial (half-open, for at most
  ``trial_seconds``: a trial that dies lets another try); everyone else is still refused.
  The trial's success closes the breaker, its failure opens it again for a new cool-down.

Every transition is a conditional write on what the caller read, so two invocations never
both take the trial, and a late writer cannot undo a newer state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from botocore.exceptions import ClientError

from chalicelib.patches.exceptions import CircuitOpenError, DatabaseError
from shared.dynamo import aws_errors, condition_failed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

STATE_KEY: Final = "state_key"
BreakerState = Literal["closed", "open", "half_open"]
CLOSED: Final = "closed"
OPEN: Final = "open"
HALF_OPEN: Final = "half_open"


@dataclass(frozen=True)
class BreakerSettings:
    failures: int
    cooldown_seconds: int
    trial_seconds: int


def breaker_key(service: str) -> str:
    return f"breaker#{service}"


class CircuitBreaker:
    """One service's breaker, as one invocation uses it (``last_state`` is what it last saw,
    for the run's metrics)."""

    def __init__(
        self,
        table: Table,
        service: str,
        settings: BreakerSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table
        self.service = service
        self._settings = settings
        self._clock = clock
        self._key = {STATE_KEY: breaker_key(service)}
        self._trial = False
        self._seen_failures = 0
        self.last_state: BreakerState = CLOSED

    @aws_errors("reading the circuit breaker", DatabaseError)
    def _read(self) -> dict[str, Any]:
        return self._table.get_item(Key=self._key, ConsistentRead=True).get("Item", {})

    def allow(self) -> None:
        """Return if a call may be made now; raise ``CircuitOpenError`` otherwise.

        Raises:
            CircuitOpenError: open and cooling down, or another caller holds the trial.
            DatabaseError: DynamoDB failed after retries.
        """
        item = self._read()
        state = str(item.get("state", CLOSED))
        now = int(self._clock())
        self._seen_failures = int(item.get("failures", 0))
        self._trial = False
        if state == CLOSED:
            self.last_state = CLOSED
            return
        if state == OPEN:
            reopens = int(item.get("opened_at", 0)) + self._settings.cooldown_seconds
            seen = {":state": OPEN, ":seen": int(item.get("opened_at", 0))}
            condition = "#state = :state AND opened_at = :seen"
        else:
            reopens = int(item.get("trial_until", 0))
            seen = {":state": HALF_OPEN, ":seen": reopens}
            condition = "#state = :state AND trial_until = :seen"
        if now < reopens:
            self.last_state = OPEN
            raise CircuitOpenError(self.service, reopens - now)
        if not self._take_trial(condition, seen, now):
            self.last_state = OPEN
            raise CircuitOpenError(self.service, self._settings.trial_seconds)
        self._trial = True
        self.last_state = HALF_OPEN

    @aws_errors("taking the circuit breaker's trial", DatabaseError)
    def _take_trial(self, condition: str, seen: dict[str, Any], now: int) -> bool:
        try:
            self._table.update_item(
                Key=self._key,
                UpdateExpression="SET #state = :half, trial_until = :until",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    **seen,
                    ":half": HALF_OPEN,
                    ":until": now + self._settings.trial_seconds,
                },
            )
        except ClientError as err:
            if condition_failed(err):
                return False
            raise
        return True

    @aws_errors("closing the circuit breaker", DatabaseError)
    def record_success(self) -> None:
        """The service answered: close the breaker (written only when it was not closed, or
        counted failures, so the usual call costs no write)."""
        if self._trial or self.last_state != CLOSED or self._seen_failures:
            self._table.update_item(
                Key=self._key,
                UpdateExpression="SET #state = :closed, failures = :zero "
                "REMOVE opened_at, trial_until",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":closed": CLOSED, ":zero": 0},
            )
        self._trial = False
        self._seen_failures = 0
        self.last_state = CLOSED

    @aws_errors("counting a failure on the circuit breaker", DatabaseError)
    def record_failure(self) -> None:
        """The service failed (after retries): count it; open the breaker at the threshold,
        or at once when this call was the trial."""
        now = int(self._clock())
        if self._trial:
            self._open(now, "#state = :half", {":half": HALF_OPEN})
            self._trial = False
            return
        counted = self._table.update_item(
            Key=self._key,
            UpdateExpression="ADD failures :one",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="ALL_NEW",
        )["Attributes"]
        self._seen_failures = int(str(counted.get("failures", 0)))
        if (
            self._seen_failures >= self._settings.failures
            and counted.get("state", CLOSED) == CLOSED
        ):
            self._open(now, "attribute_not_exists(#state) OR #state = :closed", {":closed": CLOSED})

    def _open(self, now: int, condition: str, values: dict[str, Any]) -> None:
        try:
            self._table.update_item(
                Key=self._key,
                UpdateExpression="SET #state = :open, opened_at = :now REMOVE trial_until",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={**values, ":open": OPEN, ":now": now},
            )
        except ClientError as err:
            if not condition_failed(err):
                raise
        self.last_state = OPEN
