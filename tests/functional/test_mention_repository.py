"""The mentions repository on the table the Pulumi program declares, in moto."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from chalicelib.mentions.processing import Mention
from chalicelib.mentions.repository import MentionRepository
from devstack.mocks import MotoMocks
from shared.names import physical
from tests.conftest import REGION
from tests.functional.conftest import STACK

pytestmark = pytest.mark.systems("mentions")

NOW = 1_795_000_000.0


def mention(i: int, source: str = "twitter", day: int = 20) -> Mention:
    return Mention(
        mention_id=f"m{i}",
        timestamp=f"2026-11-{day:02d}T10:00:{i:02d}Z",
        source=source,
        text=f"mention {i}",
    )


@pytest.fixture
def repository(dev_stack: MotoMocks) -> Iterator[MentionRepository]:
    table = boto3.resource("dynamodb", region_name=REGION).Table(physical("mentions", STACK))
    for item in table.scan()["Items"]:
        table.delete_item(Key={"mention_id": item["mention_id"], "timestamp": item["timestamp"]})
    yield MentionRepository(table, retention_days=30, clock=lambda: NOW)


def test_a_mention_is_stored_once_with_its_expiry(repository: MentionRepository) -> None:
    assert repository.put(mention(1)) is True
    assert repository.put(mention(1)) is False

    assert repository.get("m1", mention(1).timestamp) == mention(1)
    table = boto3.resource("dynamodb", region_name=REGION).Table(physical("mentions", STACK))
    item = table.get_item(Key={"mention_id": "m1", "timestamp": mention(1).timestamp})["Item"]
    assert item["expires_at"] == int(NOW) + 30 * 86_400


def test_status_updates_and_deletes(repository: MentionRepository) -> None:
    repository.put(mention(2))

    repository.update_status("m2", mention(2).timestamp, "archived")
    stored = repository.get("m2", mention(2).timestamp)
    assert stored is not None and stored.status == "archived"
    repository.delete("m2", mention(2).timestamp)
    assert repository.get("m2", mention(2).timestamp) is None


def test_many_mentions_are_written_in_batches_and_repeats_are_harmless(
    repository: MentionRepository,
) -> None:
    batch = [mention(i) for i in range(60)]

    assert repository.put_many(batch + batch[:10]) == 70
    found, _ = repository.by_source(
        "twitter", "2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z", limit=100
    )
    assert sorted(m.mention_id for m in found) == sorted(f"m{i}" for i in range(60))


def test_a_source_is_queried_by_time_range_page_by_page(repository: MentionRepository) -> None:
    repository.put_many(
        [mention(i, day=10 + i % 10) for i in range(20)] + [mention(50, source="reddit", day=15)]
    )
    since, until = "2026-11-12T00:00:00Z", "2026-11-16T23:59:59Z"

    pages, start_key = [], None
    while True:
        page, start_key = repository.by_source(
            "twitter", since, until, limit=3, start_key=start_key
        )
        pages.append(page)
        if start_key is None:
            break

    found = [m for page in pages for m in page]
    assert all(len(page) <= 3 for page in pages) and len(pages) > 1
    assert {m.source for m in found} == {"twitter"}
    assert all(since <= m.timestamp <= until for m in found)
    assert len(found) == 10  # days 12..16, two mentions each
    assert [m.timestamp for m in found] == sorted((m.timestamp for m in found), reverse=True)
