"""The ingester's state in DynamoDB, one item per key (``ingest#<project>``, ``backfill#...``):
a lease (``shared.scheduled_run``) that keeps two runs from working on the same key at once,
and a cursor (how far the work is done) that only the lease holder can move.

Moving the cursor is conditional on still holding the lease, so a run that overran its
lease and was overtaken cannot move the cursor back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.mentions.exceptions import LeaseLostError
from shared.dynamo import conditional_write
from shared.scheduled_run import Lease, LeaseAttributes, Leases

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

STATE_KEY = "state_key"
ATTRIBUTES = LeaseAttributes(key=STATE_KEY, owner="lease_owner", expires_at="lease_expires_at")


def cursor(lease: Lease) -> str | None:
    """Where the last holder's work stopped (None before the first success)."""
    value = lease.item.get("cursor")
    return str(value) if value is not None else None


class IngesterState(Leases):
    """The leases and cursors of the ingester's state table."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        super().__init__(table, ATTRIBUTES, clock)

    def advance(self, lease: Lease, to: str, summary: dict[str, int]) -> Lease:
        """Record that the work up to ``to`` is done (and stored).

        Raises:
            LeaseLostError: another run took the lease over; stop without writing more.
            TransientError: DynamoDB failed after boto3's retries.
        """
        held = self.held_by(lease)
        moved = conditional_write(
            lambda: self._table.update_item(
                Key={STATE_KEY: lease.key},
                UpdateExpression="SET #cursor = :cursor, last_success_at = :now, "
                "last_summary = :summary",
                ConditionExpression=held["ConditionExpression"],
                ExpressionAttributeNames={"#cursor": "cursor", **held["ExpressionAttributeNames"]},
                ExpressionAttributeValues={
                    ":cursor": to,
                    ":now": int(self._clock()),
                    ":summary": summary,
                    **held["ExpressionAttributeValues"],
                },
            ),
            f"moving the cursor of {lease.key}",
        )
        if not moved:
            raise LeaseLostError(f"{lease.owner} no longer holds the lease on {lease.key}")
        return replace(lease, item={**lease.item, "cursor": to})
