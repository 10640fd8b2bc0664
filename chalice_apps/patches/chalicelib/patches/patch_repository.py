"""The patches table (seed 001 §1.4): batch reads and writes for the fetchers, a conditional
update for a patch that changed upstream (its index keys move with it, being attributes of
the same item), a transaction for a thread's patches, and one paginated query per index.

Every boto3 failure is a ``DatabaseError``; a patch asked for and not held is an
``ItemNotFoundError``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.patches.exceptions import DatabaseError, ItemNotFoundError
from chalicelib.patches.names import SERIES_INDEX, STATUS_INDEX, SUBMITTER_INDEX
from chalicelib.patches.records import Patch, series_key, status_key, submitter_key
from chalicelib.patches.storage import Page
from shared.dynamo import aws_errors, condition_failed
from shared.schema import Index

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# DynamoDB's limits per call.
BATCH_GET_KEYS = 100
TRANSACTION_ITEMS = 100
# Attributes a patch may lose upstream (a patch taken out of its series).
_OPTIONAL = ("series", "series_key", "hash", "commit_ref")


class PatchRepository:
    def __init__(self, table: Table, unprocessed_attempts: int = 5) -> None:
        self._table = table
        # The resource's client: it converts Python values to DynamoDB's and back, as the
        # table does, for the batch and transaction calls a table has no method for.
        self._client = table.meta.client
        self._attempts = unprocessed_attempts

    @aws_errors("reading stored patches", DatabaseError)
    def fingerprints(self, patch_ids: Iterable[str]) -> dict[str, str]:
        """The stored fingerprint of each of ``patch_ids`` held (BatchGetItem, 100 keys a
        call; keys DynamoDB leaves unprocessed are asked again with a backoff)."""
        ids = sorted(set(patch_ids))
        found: dict[str, str] = {}
        for start in range(0, len(ids), BATCH_GET_KEYS):
            request: dict[str, Any] = {
                self._table.name: {
                    "Keys": [{"id": i} for i in ids[start : start + BATCH_GET_KEYS]],
                    "ProjectionExpression": "id, fingerprint",
                }
            }
            for attempt in range(self._attempts):
                response = self._client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self._table.name, []):
                    found[str(item["id"])] = str(item.get("fingerprint", ""))
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise DatabaseError("reading stored patches failed: keys left unprocessed")
        return found

    @aws_errors("storing patches", DatabaseError)
    def put_new(self, patches: Iterable[Patch]) -> int:
        """Write patches not held before, 25 per BatchWriteItem (unprocessed items re-sent by
        boto3's batch writer). Returns how many were sent."""
        count = 0
        with self._table.batch_writer(overwrite_by_pkeys=["id"]) as batch:
            for patch in patches:
                batch.put_item(Item=patch.item())
                count += 1
        return count

    @aws_errors("updating a patch", DatabaseError)
    def update(self, patch: Patch) -> None:
        """Replace what Patchwork said about a held patch, keeping its discussion summary.
        The index keys are rewritten with the state, so the patch moves in StatusIndex (and
        SubmitterIndex, SeriesIndex) in the same write.

        Raises:
            ItemNotFoundError: the patch is not held.
        """
        item = patch.item()
        fields = [f for f in item if f != "id"]
        removed = [f for f in _OPTIONAL if f not in item]
        expression = "SET " + ", ".join(f"#{n} = :{n}" for n in range(len(fields)))
        if removed:
            expression += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(removed)))
        try:
            self._table.update_item(
                Key={"id": patch.id},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeNames={
                    **{f"#{n}": f for n, f in enumerate(fields)},
                    **{f"#r{n}": f for n, f in enumerate(removed)},
                },
                ExpressionAttributeValues={f":{n}": item[f] for n, f in enumerate(fields)},
            )
        except ClientError as err:
            if condition_failed(err):
                raise ItemNotFoundError(f"patch {patch.id} is not stored") from err
            raise

    @aws_errors("reading a patch", DatabaseError)
    def get(self, patch_id: str) -> dict[str, Any]:
        """Raises ItemNotFoundError for a patch not held."""
        item = self._table.get_item(Key={"id": patch_id}).get("Item")
        if item is None:
            raise ItemNotFoundError(f"patch {patch_id} is not stored")
        return dict(item)

    @aws_errors("linking a thread to its patches", DatabaseError)
    def link_thread(self, patch_ids: Sequence[str], summary: dict[str, Any]) -> None:
        """Give every patch of a thread the same discussion summary (``thread_id``,
        ``messages``, ``last_activity``) in one transaction, so sibling patches of a series
        never disagree about their common thread (100 patches per transaction; a larger
        thread is linked in several).

        Raises:
            ItemNotFoundError: one of the patches is not held; none was changed.
        """
        ids = sorted(set(patch_ids))
        for start in range(0, len(ids), TRANSACTION_ITEMS):
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self._table.name,
                                "Key": {"id": patch_id},
                                "UpdateExpression": "SET discussion = :summary",
                                "ConditionExpression": "attribute_exists(id)",
                                "ExpressionAttributeValues": {":summary": summary},
                            }
                        }
                        for patch_id in ids[start : start + TRANSACTION_ITEMS]
                    ]
                )
            except ClientError as err:
                if condition_failed(err):
                    raise ItemNotFoundError(
                        f"a patch of {ids[start : start + TRANSACTION_ITEMS]} is not stored"
                    ) from err
                raise

    @aws_errors("listing patches", DatabaseError)
    def _page(
        self,
        index: Index,
        key: str,
        since: str,
        until: str,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> Page:
        query: dict[str, Any] = {
            "IndexName": index.name,
            "KeyConditionExpression": Key(index.hash_key).eq(key)
            & Key(index.range_key or "date").between(since, until),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            query["ExclusiveStartKey"] = start_key
        response = self._table.query(**query)
        return Page([dict(i) for i in response["Items"]], response.get("LastEvaluatedKey"))

    def by_state(
        self, state: str, since: str, until: str, limit: int, start_key: dict[str, Any] | None
    ) -> Page:
        """One page of the patches in ``state`` dated ``since`` .. ``until``, newest first."""
        return self._page(STATUS_INDEX, status_key(state), since, until, limit, start_key)

    def by_submitter(
        self, email: str, since: str, until: str, limit: int, start_key: dict[str, Any] | None
    ) -> Page:
        """One page of a submitter's patches, newest first."""
        return self._page(SUBMITTER_INDEX, submitter_key(email), since, until, limit, start_key)

    def by_series(
        self, series_id: str, since: str, until: str, limit: int, start_key: dict[str, Any] | None
    ) -> Page:
        """One page of a series' patches, newest first."""
        return self._page(SERIES_INDEX, series_key(series_id), since, until, limit, start_key)
