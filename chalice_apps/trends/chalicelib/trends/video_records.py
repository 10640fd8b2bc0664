"""The videos the pipeline makes (``names.VIDEOS_TABLE``) and the month's spend (a counter in
the state table, ``spend#<YYYY-MM>``, in UTC months as AWS Budgets counts them).

Each stage writes what it made onto the video's item and adds what it cost both to the
item (``cost_usd.<stage>``) and to the month's counter in one transaction, so the budget
check at the next night's start sees every dollar spent, failed videos' included, and a
stage retried by Step Functions never counts twice (the cost is written with the stage's
output, conditionally on the stage not being recorded yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer

from chalicelib.trends.exceptions import DatabaseError
from chalicelib.trends.names import NIGHT_INDEX
from shared.dynamo import aws_errors, conditional_write
from shared.timestamps import utc_iso

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.service_resource import Table

# Statuses a video goes through; ``published`` and ``failed`` are final.
PLANNED, PUBLISHED, FAILED = "planned", "published", "failed"
FINAL = (PUBLISHED, FAILED)


def spend_key(moment: datetime) -> str:
    return f"spend#{moment.strftime('%Y-%m')}"


def money(value: float) -> Decimal:
    """Dollars as DynamoDB keeps them (it refuses floats): six decimal places."""
    return Decimal(str(round(value, 6)))


def _plain(value: Any) -> Any:
    """An item as JSON types (Decimals become ints or floats)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


class VideoStore:
    def __init__(self, videos: Table, state: Table, client: DynamoDBClient) -> None:
        self._videos = videos
        self._state = state
        self._client = client  # transactions are the client's, not the table resource's

    @property
    def state_table(self) -> Table:
        """The state table, which the YouTube quota keeper counts in too."""
        return self._state

    def get(self, video_id: str) -> dict[str, Any] | None:
        with aws_errors(f"reading video {video_id}", DatabaseError):
            item = self._videos.get_item(Key={"video_id": video_id}, ConsistentRead=True)
        found = item.get("Item")
        return _plain(found) if found else None

    def night(self, night: str) -> list[dict[str, Any]]:
        """A night's videos (NightIndex)."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "IndexName": NIGHT_INDEX.name,
            "KeyConditionExpression": Key(NIGHT_INDEX.hash_key).eq(night),
        }
        with aws_errors(f"listing night {night}'s videos", DatabaseError):
            while True:
                page = self._videos.query(**query)
                items.extend(page.get("Items") or [])
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [_plain(item) for item in items]

    def month_spend(self, moment: datetime) -> float:
        with aws_errors("reading the month's spend", DatabaseError):
            item = self._state.get_item(Key={"state_key": spend_key(moment)}, ConsistentRead=True)
        return float(str((item.get("Item") or {}).get("usd", 0)))

    def plan(self, video: Mapping[str, Any], now: datetime) -> bool:
        """Create a planned video; False when it exists already (a night started twice)."""
        item = {
            **{k: _dynamo_value(v) for k, v in video.items()},
            "status": PLANNED,
            "created_at": utc_iso(now.isoformat()),
            "updated_at": utc_iso(now.isoformat()),
            "cost_usd": {},
        }
        return conditional_write(
            lambda: self._videos.put_item(
                Item=item, ConditionExpression="attribute_not_exists(video_id)"
            ),
            f"planning video {video['video_id']}",
        )

    def update(self, video_id: str, now: datetime, **fields: Any) -> None:
        """Set fields of a video (never its cost: ``record_stage`` does that)."""
        names = {f"#f{n}": key for n, key in enumerate(fields)}
        values = {f":v{n}": _dynamo_value(value) for n, value in enumerate(fields.values())}
        sets = [f"#f{n} = :v{n}" for n in range(len(fields))] + ["#updated = :updated"]
        with aws_errors(f"updating video {video_id}", DatabaseError):
            self._videos.update_item(
                Key={"video_id": video_id},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(video_id)",
                ExpressionAttributeNames={**names, "#updated": "updated_at"},
                ExpressionAttributeValues={**values, ":updated": utc_iso(now.isoformat())},
            )

    def record_stage(
        self, video_id: str, stage: str, cost_usd: float, now: datetime, **fields: Any
    ) -> bool:
        """A stage's output and cost, and the cost added to the month, all or nothing.
        False when the stage was recorded already (a retried invocation): nothing changes.
        """
        serialize = TypeSerializer().serialize
        values = {f":v{n}": _dynamo_value(value) for n, value in enumerate(fields.values())}
        sets = [f"#f{n} = :v{n}" for n in range(len(fields))]
        update: dict[str, Any] = {
            "TableName": self._videos.name,
            "Key": {"video_id": {"S": video_id}},
            "UpdateExpression": "SET "
            + ", ".join([*sets, "#cost.#stage = :cost", "#updated = :updated"]),
            "ConditionExpression": (
                "attribute_exists(video_id) AND attribute_not_exists(#cost.#stage)"
            ),
            "ExpressionAttributeNames": {
                **{f"#f{n}": key for n, key in enumerate(fields)},
                "#cost": "cost_usd",
                "#stage": stage,
                "#updated": "updated_at",
            },
            "ExpressionAttributeValues": {
                k: serialize(v)
                for k, v in {
                    **values,
                    ":cost": money(cost_usd),
                    ":updated": utc_iso(now.isoformat()),
                }.items()
            },
        }
        spend: dict[str, Any] = {
            "TableName": self._state.name,
            "Key": {"state_key": {"S": spend_key(now)}},
            "UpdateExpression": "ADD usd :cost",
            "ExpressionAttributeValues": {":cost": serialize(money(cost_usd))},
        }
        return conditional_write(
            lambda: self._client.transact_write_items(
                TransactItems=[{"Update": update}, {"Update": spend}]  # type: ignore[typeddict-item]
            ),
            f"recording {stage} of video {video_id}",
            DatabaseError,
        )


def _dynamo_value(value: Any) -> Any:
    """JSON values as DynamoDB takes them: floats as Decimals, all the way down."""
    if isinstance(value, float):
        return money(value)
    if isinstance(value, Mapping):
        return {k: _dynamo_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dynamo_value(v) for v in value]
    return value
