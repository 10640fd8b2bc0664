"""Where each project's hourly fetch got to: ``cursor#<project>`` in the state table holds
the newest patch date stored (UTC ISO 8601, which sorts as it compares).

The cursor only moves forward (a conditional write), so a slow run finishing after a newer
one can never move it back, and it moves only after everything up to it is stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from chalicelib.patches.breaker import STATE_KEY
from chalicelib.patches.exceptions import DatabaseError
from shared.dynamo import aws_errors, condition_failed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def cursor_key(project: str) -> str:
    return f"cursor#{project}"


class Cursors:
    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self._table = table
        self._clock = clock

    @aws_errors("reading a cursor", DatabaseError)
    def get(self, project: str) -> str | None:
        item = self._table.get_item(Key={STATE_KEY: cursor_key(project)}, ConsistentRead=True)
        cursor = item.get("Item", {}).get("cursor")
        return str(cursor) if cursor is not None else None

    @aws_errors("moving a cursor", DatabaseError)
    def advance(self, project: str, cursor: str, summary: dict[str, int]) -> bool:
        """Move the cursor to ``cursor`` (with the run's summary) unless it is already there
        or past it. Returns whether it moved."""
        try:
            self._table.update_item(
                Key={STATE_KEY: cursor_key(project)},
                UpdateExpression="SET #cursor = :cursor, moved_at = :now, last_summary = :summary",
                ConditionExpression="attribute_not_exists(#cursor) OR #cursor < :cursor",
                ExpressionAttributeNames={"#cursor": "cursor"},
                ExpressionAttributeValues={
                    ":cursor": cursor,
                    ":now": int(self._clock()),
                    ":summary": summary,
                },
            )
        except ClientError as err:
            if condition_failed(err):
                return False
            raise
        return True
