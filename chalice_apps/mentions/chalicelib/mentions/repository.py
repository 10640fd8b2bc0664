"""The mentions table: one item per mention (PK ``mention_id``, SK ``timestamp``), kept for
the stack's retention through the ``expires_at`` TTL attribute."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.mentions.names import MENTIONS_TTL_ATTRIBUTE, SOURCE_INDEX
from chalicelib.mentions.processing import Mention
from shared.dynamo import aws_errors, conditional_write
from shared.errors import ConfigurationError, TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DAY_SECONDS = 86_400


class MentionRepository:
    def __init__(
        self, table: Table, retention_days: int | None, clock: Callable[[], float] = time.time
    ) -> None:
        """``retention_days`` None gives a reader: writing through it is a deployment error
        (no item may be stored without its expiry)."""
        self._table = table
        self._retention_seconds = None if retention_days is None else retention_days * DAY_SECONDS
        self._clock = clock

    def _item(self, mention: Mention) -> dict[str, Any]:
        if self._retention_seconds is None:
            raise ConfigurationError("this repository was built without a retention: read-only")
        item = {k: v for k, v in mention.model_dump().items() if v is not None}
        return item | {MENTIONS_TTL_ATTRIBUTE: int(self._clock()) + self._retention_seconds}

    def put(self, mention: Mention) -> bool:
        """Store a mention not seen before; returns False (and writes nothing) for a duplicate.

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        return conditional_write(
            lambda: self._table.put_item(
                Item=self._item(mention),
                ConditionExpression="attribute_not_exists(mention_id)",
            ),
            f"storing mention {mention.mention_id}",
        )

    def put_many(self, mentions: Iterable[Mention]) -> int:
        """Store many at once (a backfill): boto3's batch writer sends 25 at a time and
        re-sends what DynamoDB leaves unprocessed. Writing a mention again overwrites it with
        the same content, so this is idempotent too. Returns how many were sent."""
        count = 0
        try:
            with self._table.batch_writer(overwrite_by_pkeys=["mention_id", "timestamp"]) as batch:
                for mention in mentions:
                    batch.put_item(Item=self._item(mention))
                    count += 1
        except (ClientError, BotoCoreError) as err:
            raise TransientError(f"batch write failed after {count} mentions: {err}") from err
        return count

    def get(self, mention_id: str, timestamp: str) -> Mention | None:
        item = self._table.get_item(Key={"mention_id": mention_id, "timestamp": timestamp})
        return _mention(item["Item"]) if "Item" in item else None

    def update_status(self, mention_id: str, timestamp: str, status: str) -> None:
        """Raises ClientError (ConditionalCheckFailedException) for an unknown mention."""
        self._table.update_item(
            Key={"mention_id": mention_id, "timestamp": timestamp},
            UpdateExpression="SET #status = :status",
            ConditionExpression="attribute_exists(mention_id)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":status": status},
        )

    def delete(self, mention_id: str, timestamp: str) -> None:
        self._table.delete_item(Key={"mention_id": mention_id, "timestamp": timestamp})

    def keys_before(self, source: str, before: str) -> Iterator[dict[str, str]]:
        """The table keys of a source's mentions older than ``before`` (UTC ISO 8601),
        page after page (the clean-up's input).

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        query: dict[str, Any] = {
            "IndexName": SOURCE_INDEX.name,
            "KeyConditionExpression": Key("source").eq(source) & Key("timestamp").lt(before),
            "ProjectionExpression": "mention_id, #ts",
            "ExpressionAttributeNames": {"#ts": "timestamp"},
        }
        while True:
            with aws_errors(f"listing mentions of {source}"):
                response = self._table.query(**query)
            for item in response["Items"]:
                yield {"mention_id": str(item["mention_id"]), "timestamp": str(item["timestamp"])}
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def delete_many(self, keys: Iterable[dict[str, str]]) -> int:
        """Delete by key through the batch writer (unprocessed items re-sent); returns how
        many were sent. Deleting what is already gone is not an error.

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        count = 0
        try:
            with self._table.batch_writer(overwrite_by_pkeys=["mention_id", "timestamp"]) as batch:
                for key in keys:
                    batch.delete_item(Key=key)
                    count += 1
        except (ClientError, BotoCoreError) as err:
            raise TransientError(f"batch delete failed after {count} mentions: {err}") from err
        return count

    def by_source(
        self,
        source: str,
        since: str,
        until: str,
        limit: int = 50,
        start_key: dict[str, Any] | None = None,
    ) -> tuple[list[Mention], dict[str, Any] | None]:
        """One page of a source's mentions with ``since <= timestamp <= until`` (UTC ISO
        8601), newest first, and the key to continue from (None on the last page).

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        query: dict[str, Any] = {
            "IndexName": SOURCE_INDEX.name,
            "KeyConditionExpression": Key("source").eq(source)
            & Key("timestamp").between(since, until),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            query["ExclusiveStartKey"] = start_key
        with aws_errors(f"querying mentions of {source}"):
            response = self._table.query(**query)
        return [_mention(i) for i in response["Items"]], response.get("LastEvaluatedKey")


def _mention(item: dict[str, Any]) -> Mention:
    return Mention.model_validate({k: v for k, v in item.items() if k != MENTIONS_TTL_ATTRIBUTE})
