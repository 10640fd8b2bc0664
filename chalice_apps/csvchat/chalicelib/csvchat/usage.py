"""What each user holds, kept from the datasets table's stream: for every owner a batch of
records touches, the usage item is recomputed from that owner's datasets (count and bytes)
and written whole. Recomputing instead of adding deltas makes a retried batch, records out
of order and a missed record all harmless."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.csvchat.datasets import DatasetRepository
from shared.dynamo import aws_errors
from shared.errors import TransientError
from shared.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

log = logger("csvchat-usage")


def _first_record_of(records: list[dict[str, Any]]) -> dict[str, str]:
    """Each owner's first record's sequence number, in the batch's order."""
    first: dict[str, str] = {}
    for record in records:
        owner = str(record["dynamodb"]["Keys"]["owner"]["S"])
        first.setdefault(owner, str(record["dynamodb"]["SequenceNumber"]))
    return first


def refresh_usage(
    owner: str, datasets: DatasetRepository, usage: Table, now: str
) -> dict[str, Any]:
    """Recount one user's datasets and bytes and store them; returns the usage item."""
    items = list(datasets.all_of(owner))
    item: dict[str, Any] = {
        "owner": owner,
        "datasets": len(items),
        "bytes": sum(int(i.get("size", 0)) for i in items),
        "updated_at": now,
    }
    with aws_errors("storing usage"):
        usage.put_item(Item=item)
    return item


def track_usage(
    records: list[dict[str, Any]], datasets: DatasetRepository, usage: Table, now: str
) -> dict[str, Any]:
    """Refresh every owner of the batch, in order. The first owner that cannot be refreshed
    is reported by its first record (``batchItemFailures``): Lambda retries the batch from
    there, and the owners before it, refreshed again, are recounted to the same values."""
    for owner, sequence in _first_record_of(records).items():
        try:
            refresh_usage(owner, datasets, usage, now)
        except TransientError:
            log.exception("usage not refreshed", extra={"owner": owner})
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
    return {"batchItemFailures": []}
