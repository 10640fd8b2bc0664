"""A lease in DynamoDB, so two runs of a schedule (a slow one and the next, or an
EventBridge retry) never work on the same key at once.

The lease is two attributes of the key's item (the holder, and when its time runs out,
epoch seconds), written conditionally: taken when nobody holds it, the holder's time ran
out (a crashed run blocks the next ones no longer than its lease) or the taker already
holds it (a retry of the same invocation takes back its own lease). Whatever else the item
holds (a cursor, a summary) is the caller's; a write that must only happen while the lease
is held adds ``held_by`` as its condition. The attribute names are parameters, so each
system keeps the item shape its table already has.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from shared.dynamo import aws_errors, conditional_write
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

T = TypeVar("T")
SKIPPED: Literal["skipped"] = "skipped"


@dataclass(frozen=True)
class LeaseAttributes:
    """The names of the item's key and lease attributes."""

    key: str = "state_key"
    owner: str = "lease_owner"
    expires_at: str = "lease_expires_at"


@dataclass(frozen=True)
class Lease:
    key: str
    owner: str
    # The whole item as the lease was taken (the caller's cursor and whatever it keeps).
    item: dict[str, Any] = field(default_factory=dict)


class Leases:
    """Leases on the items of one table."""

    def __init__(
        self,
        table: Table,
        attributes: LeaseAttributes = LeaseAttributes(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = table
        self._names = attributes
        self._clock = clock

    def _key(self, key: str) -> dict[str, str]:
        return {self._names.key: key}

    def held_by(self, lease: Lease) -> dict[str, Any]:
        """The arguments that make an UpdateItem or PutItem conditional on still holding
        ``lease`` (merge them into the call's own; names ``#lease_owner``, ``:lease_owner``)."""
        return {
            "ConditionExpression": "#lease_owner = :lease_owner",
            "ExpressionAttributeNames": {"#lease_owner": self._names.owner},
            "ExpressionAttributeValues": {":lease_owner": lease.owner},
        }

    def acquire(self, key: str, owner: str, seconds: int) -> Lease | None:
        """Take the lease on ``key`` for ``seconds``; None while another owner holds it.

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        now = int(self._clock())
        taken: dict[str, Any] = {}

        def write() -> None:
            answer = self._table.update_item(
                Key=self._key(key),
                UpdateExpression="SET #owner = :owner, #until = :until",
                ConditionExpression="attribute_not_exists(#until) OR #until < :now "
                "OR #owner = :owner",
                ExpressionAttributeNames={
                    "#owner": self._names.owner,
                    "#until": self._names.expires_at,
                },
                ExpressionAttributeValues={":owner": owner, ":until": now + seconds, ":now": now},
                ReturnValues="ALL_NEW",
            )
            taken.update(answer["Attributes"])

        if not conditional_write(write, f"taking the lease on {key}"):
            return None
        return Lease(key, owner, taken)

    def renew(self, lease: Lease, seconds: int) -> bool:
        """Give a held lease ``seconds`` more from now; False when it is no longer held.

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        return conditional_write(
            lambda: self._table.update_item(
                Key=self._key(lease.key),
                UpdateExpression="SET #until = :until",
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={
                    "#owner": self._names.owner,
                    "#until": self._names.expires_at,
                },
                ExpressionAttributeValues={
                    ":owner": lease.owner,
                    ":until": int(self._clock()) + seconds,
                },
            ),
            f"renewing the lease on {lease.key}",
        )

    def release(self, lease: Lease) -> None:
        """Give the lease up (if still ours), so the next run need not wait for it to expire.

        Raises:
            TransientError: DynamoDB failed after boto3's retries (the lease then expires).
        """
        conditional_write(
            lambda: self._table.update_item(
                Key=self._key(lease.key),
                UpdateExpression="REMOVE #owner, #until",
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={
                    "#owner": self._names.owner,
                    "#until": self._names.expires_at,
                },
                ExpressionAttributeValues={":owner": lease.owner},
            ),
            f"releasing the lease on {lease.key}",
        )

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored item of ``key`` (for operators and tests)."""
        with aws_errors(f"reading {key}"):
            return self._table.get_item(Key=self._key(key), ConsistentRead=True).get("Item")


def run_under_lease(
    leases: Leases,
    key: str,
    owner: str,
    seconds: int,
    work: Callable[[Lease], T],
    on_release_failure: Callable[[TransientError], None] | None = None,
) -> T | Literal["skipped"]:
    """``work(lease)`` while holding the lease on ``key``, then the lease released, whether
    the work returned or raised; ``SKIPPED`` (nothing done) while another run holds it.

    A release that fails goes to ``on_release_failure`` when given (the lease expires by
    itself), else it is raised.

    Raises:
        TransientError: taking the lease failed; what ``work`` raises.
    """
    lease = leases.acquire(key, owner, seconds)
    if lease is None:
        return SKIPPED
    try:
        return work(lease)
    finally:
        try:
            leases.release(lease)
        except TransientError as err:
            if on_release_failure is None:
                raise
            on_release_failure(err)
