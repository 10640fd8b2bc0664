"""The datasets table: one item per upload, keyed by its owner (``sub``) and id, whose
status moves ``uploading -> inferring -> ready | failed`` by conditional writes, so a
redelivered notification never undoes a later state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from shared.dynamo import aws_errors, conditional_write
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

UPLOADING, INFERRING, READY, FAILED = "uploading", "inferring", "ready", "failed"
# What GET /datasets/{id} shows of an item (specs/csvchat.md).
PUBLIC_FIELDS = (
    "dataset_id",
    "filename",
    "status",
    "reason",
    "columns",
    "row_estimate",
    "size",
    "created_at",
    "table",
    "warnings",
)


def public(item: dict[str, Any]) -> dict[str, Any]:
    """The item as the API shows it (numbers as ints, internal fields left out).

    With ``row_estimate``, ``rows_counted`` says whether it is a count or an extrapolation,
    so a page can say "about": processing counts the rows as it writes the table's copy,
    so a ready dataset's is a count."""
    shown = {k: item[k] for k in PUBLIC_FIELDS if k in item}
    for key in ("size", "row_estimate"):
        if key in shown:
            shown[key] = int(shown[key])
    if "row_estimate" in shown:
        shown["rows_counted"] = True
    return shown


class DatasetRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def _call(self, what: str, call: Any, **kwargs: Any) -> Any:
        with aws_errors(what):
            return call(**kwargs)

    def create(self, item: dict[str, Any]) -> None:
        """Store a new dataset (its id is fresh: the condition only guards a clash)."""
        if not conditional_write(
            lambda: self._table.put_item(
                Item=item, ConditionExpression="attribute_not_exists(dataset_id)"
            ),
            "creating a dataset",
        ):
            raise TransientError("dataset id clash; try again")

    def get(self, owner: str, dataset_id: str) -> dict[str, Any] | None:
        response = self._call(
            "reading a dataset",
            self._table.get_item,
            Key={"owner": owner, "dataset_id": dataset_id},
            ConsistentRead=True,
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def page(
        self, owner: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        query: dict[str, Any] = {"KeyConditionExpression": Key("owner").eq(owner), "Limit": limit}
        if start:
            query["ExclusiveStartKey"] = start
        response = self._call("listing datasets", self._table.query, **query)
        return list(response["Items"]), response.get("LastEvaluatedKey")

    def all_of(self, owner: str) -> Iterator[dict[str, Any]]:
        """Every dataset of a user (sizes and states: the usage consumer's input)."""
        start: dict[str, Any] | None = None
        while True:
            items, start = self.page(owner, 500, start)
            yield from items
            if not start:
                return

    def _transition(
        self, owner: str, dataset_id: str, allowed: tuple[str, ...], **fields: Any
    ) -> bool:
        names = {f"#{k}": k for k in fields}
        values = {f":{k}": v for k, v in fields.items()}
        allowed_values = {f":from{i}": state for i, state in enumerate(allowed)}
        return conditional_write(
            lambda: self._table.update_item(
                Key={"owner": owner, "dataset_id": dataset_id},
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
                ConditionExpression=f"#status IN ({', '.join(allowed_values)})",
                ExpressionAttributeNames={**names, "#status": "status"},
                ExpressionAttributeValues={**values, **allowed_values},
            ),
            f"moving dataset {dataset_id} to {fields.get('status')}",
        )

    def start_inferring(self, owner: str, dataset_id: str, size: int, now: str) -> bool:
        """``uploading`` (or ``inferring``, a retried message) -> ``inferring`` with the
        object's real size; False when the dataset has moved on (ready, failed)."""
        return self._transition(
            owner, dataset_id, (UPLOADING, INFERRING), status=INFERRING, size=size, updated_at=now
        )

    def ready(self, owner: str, dataset_id: str, now: str, **schema: Any) -> bool:
        return self._transition(
            owner, dataset_id, (INFERRING,), status=READY, updated_at=now, **schema
        )

    def fail(self, owner: str, dataset_id: str, reason: str, now: str) -> bool:
        return self._transition(
            owner, dataset_id, (UPLOADING, INFERRING), status=FAILED, reason=reason, updated_at=now
        )

    def forget_upload(self, owner: str, dataset_id: str) -> bool:
        """Drop a finished multipart upload's id (completing it twice is refused)."""
        return conditional_write(
            lambda: self._table.update_item(
                Key={"owner": owner, "dataset_id": dataset_id},
                UpdateExpression="REMOVE upload_id",
                ConditionExpression="attribute_exists(upload_id)",
            ),
            f"completing the upload of {dataset_id}",
        )

    def delete(self, owner: str, dataset_id: str) -> None:
        self._call(
            "deleting a dataset",
            self._table.delete_item,
            Key={"owner": owner, "dataset_id": dataset_id},
        )
