"""The ingester's state in DynamoDB, one item per key (``ingest#<project>``, ``backfill#...``):
a lease that keeps two runs from working on the same key at once, and a cursor (how far the
work is done) that only the lease holder can move.

The lease is a conditional write: taken when nobody holds it or the holder's time ran out
(a crashed run cannot block the next ones for longer than its lease). Moving the cursor is
conditional on still holding the lease, so a run that overran its lease and was overtaken
cannot move the cursor back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.mentions.exceptions import LeaseLostError
from shared.dynamo import conditional_write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

STATE_KEY = "state_key"


@dataclass(frozen=True)
class Lease:
    key: str
    owner: str
    # Where the last holder's work stopped (None before the first success).
    cursor: str | None


class IngesterState:
    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    def acquire(self, key: str, owner: str, seconds: int) -> Lease | None:
        """Take the lease on ``key`` for ``seconds``; None while another owner holds it.

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        now = int(self._clock())
        result: dict[str, Any] = {}

        def write() -> None:
            result.update(
                self._table.update_item(
                    Key={STATE_KEY: key},
                    UpdateExpression="SET lease_owner = :owner, lease_expires_at = :until",
                    ConditionExpression="attribute_not_exists(lease_expires_at) "
                    "OR lease_expires_at < :now OR lease_owner = :owner",
                    ExpressionAttributeValues={
                        ":owner": owner,
                        ":until": now + seconds,
                        ":now": now,
                    },
                    ReturnValues="ALL_NEW",
                )
            )

        if not conditional_write(write, f"taking the lease on {key}"):
            return None
        cursor = result["Attributes"].get("cursor")
        return Lease(key, owner, str(cursor) if cursor is not None else None)

    def advance(self, lease: Lease, cursor: str, summary: dict[str, int]) -> Lease:
        """Record that the work up to ``cursor`` is done (and stored).

        Raises:
            LeaseLostError: another run took the lease over; stop without writing more.
            TransientError: DynamoDB failed after boto3's retries.
        """
        moved = conditional_write(
            lambda: self._table.update_item(
                Key={STATE_KEY: lease.key},
                UpdateExpression="SET #cursor = :cursor, last_success_at = :now, "
                "last_summary = :summary",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeNames={"#cursor": "cursor"},
                ExpressionAttributeValues={
                    ":cursor": cursor,
                    ":now": int(self._clock()),
                    ":summary": summary,
                    ":owner": lease.owner,
                },
            ),
            f"moving the cursor of {lease.key}",
        )
        if not moved:
            raise LeaseLostError(f"{lease.owner} no longer holds the lease on {lease.key}")
        return Lease(lease.key, lease.owner, cursor)

    def release(self, lease: Lease) -> None:
        """Give the lease up (if still ours), so the next run need not wait for it to expire.

        Raises:
            TransientError: DynamoDB failed after boto3's retries (the lease then expires).
        """
        conditional_write(
            lambda: self._table.update_item(
                Key={STATE_KEY: lease.key},
                UpdateExpression="REMOVE lease_owner, lease_expires_at",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={":owner": lease.owner},
            ),
            f"releasing the lease on {lease.key}",
        )

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored state of ``key`` (for operators and tests)."""
        item = self._table.get_item(Key={STATE_KEY: key}, ConsistentRead=True)
        return item.get("Item")
