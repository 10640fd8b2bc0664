"""The discussions table (seed 001 §1.4) and the bucket that holds message bodies too large
for an item.

A record's body is stored inline up to ``inline_max_bytes``; a larger one goes to S3 under a
key derived from its Message-ID (so writing it again overwrites, never duplicates) and the
record keeps ``body_key`` instead. Every boto3 failure is a ``DatabaseError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from chalicelib.patches.exceptions import DatabaseError
from chalicelib.patches.names import AUTHOR_INDEX, PATCH_INDEX, THREAD_INDEX
from chalicelib.patches.storage import Page
from shared.dynamo import aws_errors
from shared.schema import Index

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client


def body_key(message_id: str) -> str:
    digest = hashlib.sha256(message_id.encode()).hexdigest()
    return f"bodies/{digest[:2]}/{digest}.txt"


class BodyStore:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    @aws_errors("storing a message body", DatabaseError)
    def put(self, message_id: str, body: str) -> str:
        """Store ``body``; returns its key."""
        key = body_key(message_id)
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body.encode(),
            ContentType="text/plain; charset=utf-8",
        )
        return key


class DiscussionRepository:
    def __init__(self, table: Table, bodies: BodyStore, inline_max_bytes: int) -> None:
        self._table = table
        self._bodies = bodies
        self._inline_max = inline_max_bytes

    @aws_errors("reading a thread's stored messages", DatabaseError)
    def stored(self, thread_id: str) -> dict[str, dict[str, Any]]:
        """What is stored of a thread, by Message-ID: each message's keys, place and patch
        (ThreadIndex, every page)."""
        query: dict[str, Any] = {
            "IndexName": THREAD_INDEX.name,
            "KeyConditionExpression": Key("thread_id").eq(thread_id),
            "ProjectionExpression": "id, #ts, thread_path, patch_id",
            "ExpressionAttributeNames": {"#ts": "timestamp"},
        }
        found: dict[str, dict[str, Any]] = {}
        while True:
            response = self._table.query(**query)
            for item in response["Items"]:
                found[str(item["id"])] = dict(item)
            if "LastEvaluatedKey" not in response:
                return found
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _item(self, record: dict[str, Any]) -> dict[str, Any]:
        body = str(record.get("body", ""))
        if len(body.encode()) <= self._inline_max:
            return record
        item = {k: v for k, v in record.items() if k != "body"}
        return item | {"body_key": self._bodies.put(str(record["id"]), body)}

    @aws_errors("storing messages", DatabaseError)
    def put_many(self, records: Iterable[dict[str, Any]]) -> int:
        """Write records (bodies over the limit to S3 first), 25 per BatchWriteItem; writing
        one again overwrites it with the same content. Returns how many were sent."""
        count = 0
        with self._table.batch_writer(overwrite_by_pkeys=["id", "timestamp"]) as batch:
            for record in records:
                batch.put_item(Item=self._item(record))
                count += 1
        return count

    @aws_errors("listing discussions", DatabaseError)
    def _page(self, index: Index, key: str, limit: int, start_key: dict[str, Any] | None) -> Page:
        query: dict[str, Any] = {
            "IndexName": index.name,
            "KeyConditionExpression": Key(index.hash_key).eq(key),
            "Limit": limit,
        }
        if start_key:
            query["ExclusiveStartKey"] = start_key
        response = self._table.query(**query)
        return Page([dict(i) for i in response["Items"]], response.get("LastEvaluatedKey"))

    def thread_page(self, thread_id: str, limit: int, start_key: dict[str, Any] | None) -> Page:
        """One page of a thread's messages in thread (depth-first) order."""
        return self._page(THREAD_INDEX, thread_id, limit, start_key)

    def by_patch(self, patch_id: str, limit: int, start_key: dict[str, Any] | None) -> Page:
        """One page of the messages about a patch (itself and the replies under it), oldest
        first."""
        return self._page(PATCH_INDEX, patch_id, limit, start_key)

    def by_author(self, email: str, limit: int, start_key: dict[str, Any] | None) -> Page:
        """One page of an author's messages, oldest first."""
        return self._page(AUTHOR_INDEX, email.strip().lower(), limit, start_key)
