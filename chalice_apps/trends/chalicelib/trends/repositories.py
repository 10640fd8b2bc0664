"""VideoMetadata (a snapshot of each video per run) and TrendAnalytics (each run's ranked
trends per topic), keyed as ``names.py`` documents. Each takes its boto3 table.

Numbers go to DynamoDB as Decimals of at most six decimal places (it refuses floats).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from chalicelib.trends.exceptions import DatabaseError
from chalicelib.trends.names import TREND_ANALYTICS_TABLE, VIDEO_METADATA_TABLE
from chalicelib.trends.ranking import Scored, Snapshot, Trend
from shared.dynamo import aws_errors
from shared.timestamps import utc_iso

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# What a snapshot keeps of the description: enough for part 2's script prompts.
DESCRIPTION_CHARS = 1000
# Videos a trend item lists (its members beyond are counted, not listed).
TREND_VIDEOS = 10


def _number(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


def run_time(moment: datetime) -> str:
    """A run's time as both tables store it (UTC ISO 8601, ``Z``, whole seconds)."""
    return utc_iso(moment.replace(microsecond=0).isoformat())


def _without_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


class VideoRepository:
    def __init__(self, table: Table, retention_days: int) -> None:
        self._table = table
        self._retention = timedelta(days=retention_days)

    def previous_snapshot(self, video_id: str, before: datetime) -> Snapshot | None:
        """The newest snapshot of the video taken before ``before`` (None: never seen)."""
        keys = VIDEO_METADATA_TABLE
        with aws_errors(f"reading the last snapshot of {video_id}", DatabaseError):
            answer = self._table.query(
                KeyConditionExpression=Key(keys.hash_key).eq(video_id)
                & Key(keys.range_key or "").lt(run_time(before)),
                ScanIndexForward=False,
                Limit=1,
            )
        items = answer.get("Items") or []
        if not items:
            return None
        item = items[0]
        return Snapshot(
            taken_at=datetime.fromisoformat(str(item["snapshot_at"])),
            views=int(item["views"]),  # type: ignore[arg-type]
            likes=int(item["likes"]) if "likes" in item else None,  # type: ignore[arg-type]
            comments=int(item["comments"]) if "comments" in item else None,  # type: ignore[arg-type]
        )

    def store_snapshots(
        self, run_at: datetime, region_of: dict[str, str], scored: Iterable[Scored]
    ) -> int:
        """One snapshot per video of the run (a video seen in two topics once); returns
        how many were written. Idempotent for a run: the key is the video and run time."""
        expires = int((run_at + self._retention).timestamp())
        taken = run_time(run_at)
        written: set[str] = set()

        def write() -> None:
            with self._table.batch_writer(overwrite_by_pkeys=["video_id", "snapshot_at"]) as batch:
                for item in scored:
                    video = item.video
                    if video.id in written:
                        continue
                    written.add(video.id)
                    stats, snippet = video.statistics, video.snippet
                    batch.put_item(
                        Item=_without_none(
                            {
                                "video_id": video.id,
                                "snapshot_at": taken,
                                "category_id": snippet.category_id,
                                "region": region_of.get(video.id),
                                "title": snippet.title,
                                "channel_id": snippet.channel_id,
                                "channel_title": snippet.channel_title or None,
                                "published_at": utc_iso(snippet.published_at.isoformat()),
                                "description": snippet.description[:DESCRIPTION_CHARS] or None,
                                "tags": list(snippet.tags) or None,
                                "keywords": list(item.keywords) or None,
                                "duration_seconds": video.duration_seconds,
                                "views": stats.view_count,
                                "likes": stats.like_count,
                                "comments": stats.comment_count,
                                "views_per_hour": _number(item.engagement.views_per_hour),
                                "velocity": _number(item.engagement.velocity),
                                "score": _number(item.engagement.score),
                                "expires_at": expires,
                            }
                        )
                    )

        with aws_errors("storing video snapshots", DatabaseError):
            write()
        return len(written)


class TrendRepository:
    def __init__(self, table: Table, retention_days: int) -> None:
        self._table = table
        self._retention = timedelta(days=retention_days)

    def store_ranking(self, topic: str, run_at: datetime, trends: list[Trend]) -> None:
        """The run's ranking of ``topic``: one item per trend, ``run_rank`` ordering them."""
        taken = run_time(run_at)
        expires = int((run_at + self._retention).timestamp())

        def write() -> None:
            with self._table.batch_writer(overwrite_by_pkeys=["topic", "run_rank"]) as batch:
                for rank, trend in enumerate(trends, start=1):
                    members = trend.members
                    views = sum(m.video.statistics.view_count for m in members)
                    batch.put_item(
                        Item=_without_none(
                            {
                                "topic": topic,
                                "run_rank": f"{taken}#{rank:04d}",
                                "run_at": taken,
                                "rank": rank,
                                "keyword": trend.keyword,
                                "keywords": list(trend.keywords) or None,
                                "score": _number(trend.score),
                                "video_count": len(members),
                                "total_views": views,
                                "views_per_hour": _number(sum(m.engagement.speed for m in members)),
                                "videos": [
                                    {
                                        "video_id": m.video.id,
                                        "title": m.video.snippet.title,
                                        "score": _number(m.engagement.score),
                                    }
                                    for m in members[:TREND_VIDEOS]
                                ],
                                "expires_at": expires,
                            }
                        )
                    )

        with aws_errors(f"storing the ranking of {topic}", DatabaseError):
            write()

    def latest_ranking(self, topic: str) -> list[dict[str, Any]]:
        """The newest run's trends of ``topic``, in rank order ([] before the first run)."""
        keys = TREND_ANALYTICS_TABLE
        with aws_errors(f"reading the latest run of {topic}", DatabaseError):
            newest = self._table.query(
                KeyConditionExpression=Key(keys.hash_key).eq(topic),
                ScanIndexForward=False,
                Limit=1,
            ).get("Items")
        if not newest:
            return []
        run_at = str(newest[0]["run_at"])
        found: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": Key(keys.hash_key).eq(topic)
            & Key(keys.range_key or "").begins_with(f"{run_at}#")
        }
        while True:
            with aws_errors(f"reading the ranking of {topic}", DatabaseError):
                page = self._table.query(**query)
            found += page.get("Items") or []
            if "LastEvaluatedKey" not in page:
                return found
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def latest_json(self, topic: str) -> list[dict[str, Any]]:
        """``latest_ranking`` as JSON: rank, keyword, keywords, score, views, videos."""
        return [
            {
                "rank": int(item["rank"]),
                "run_at": item["run_at"],
                "keyword": item["keyword"],
                "keywords": list(item.get("keywords") or []),
                "score": float(item["score"]),
                "video_count": int(item["video_count"]),
                "total_views": int(item["total_views"]),
                "videos": [
                    {"video_id": v["video_id"], "title": v["title"], "score": float(v["score"])}
                    for v in item.get("videos") or []
                ],
            }
            for item in self.latest_ranking(topic)
        ]
