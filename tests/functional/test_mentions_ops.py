"""The operator commands (``python -m ops.mentions``) on the dev stack's tables in moto, with
the fake MentionMind: a resumable backfill and the clean-up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.mentions import env
from chalicelib.mentions.processing import Mention
from chalicelib.mentions.repository import MentionRepository
from devstack.fakes.base import Fault
from devstack.fakes.mentionmind import FakeMentionMind
from devstack.mocks import MotoMocks
from ops.mentions import main
from shared import aws
from shared.names import physical
from tests.conftest import REGION
from tests.functional.conftest import STACK

pytestmark = pytest.mark.systems("mentions")

API_KEY = "mm-backfill-key"
PROJECT = "mm-archive"


def table(name: str) -> Any:
    return boto3.resource("dynamodb", region_name=REGION).Table(physical(name, STACK))


def stored_ids() -> set[str]:
    return {i["mention_id"] for i in table("mentions").scan()["Items"]}


@pytest.fixture
def fake(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMentionMind]:
    server = FakeMentionMind({API_KEY})
    server.mentions[PROJECT] = [
        {
            "id": f"d{day}-{n}",
            "text": f"day {day} mention {n}",
            "source": "blogs",
            "date": f"2026-10-{day:02d}T{n:02d}:30:00Z",
        }
        for day in (1, 2, 3)
        for n in range(10)
    ] + [{"id": "broken", "text": "x", "source": "blogs", "date": "2026-10-02T99:00:00Z"}]
    server.start()
    monkeypatch.setenv(env.MENTIONMIND_BASE_URL, server.url)
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=physical("mentionmind/api-key", STACK),
        SecretString=json.dumps({"api_key": API_KEY}),
    )
    for name, keys in (
        ("mentions", ["mention_id", "timestamp"]),
        ("mentions-ingester-state", ["state_key"]),
    ):
        with table(name).batch_writer() as batch:
            for item in table(name).scan()["Items"]:
                batch.delete_item(Key={k: item[k] for k in keys})
    yield server
    server.stop()
    aws.reset_clients()


BACKFILL = ["backfill", "--project", PROJECT, "--from", "2026-10-01", "--to", "2026-10-04"]


def test_a_backfill_stops_on_a_failure_and_resumes_after_the_last_finished_chunk(
    fake: FakeMentionMind, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail_next(Fault("/mention.php", status=200))  # 1 October answers
    fake.fail_next(Fault("/mention.php", status=400, body={"error": "maintenance"}))

    assert main(BACKFILL) == 1

    first = capsys.readouterr().err
    assert "run the same command again" in first
    assert stored_ids() == {f"d1-{n}" for n in range(10)}
    state = table("mentions-ingester-state").get_item(
        Key={"state_key": f"backfill#{PROJECT}#2026-10-01T00:00:00Z#2026-10-04T00:00:00Z"}
    )["Item"]
    assert state["cursor"] == "2026-10-02T00:00:00Z"
    assert "lease_owner" not in state
    fake.requests.clear()

    assert main(BACKFILL) == 0

    second = capsys.readouterr().err
    assert "resuming: 1 of 3 chunks were done before" in second
    assert "backfill done: 2 chunks, fetched 22, stored 20, invalid 2" in second
    assert stored_ids() == {f"d{d}-{n}" for d in (1, 2, 3) for n in range(10)}
    # Only the chunks not done were fetched again (the broken mention is in every range).
    assert sum(r["path"] == "/mention.php" for r in fake.requests) == 2


def test_a_finished_backfill_run_again_fetches_nothing(
    fake: FakeMentionMind, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(BACKFILL) == 0
    fake.requests.clear()

    assert main(BACKFILL) == 0

    assert "resuming: 3 of 3 chunks" in capsys.readouterr().err
    assert not any(r["path"] == "/mention.php" for r in fake.requests)


def test_a_backfill_with_an_empty_range_is_refused(
    fake: FakeMentionMind, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["backfill", "--project", PROJECT, "--from", "2026-10-04", "--to", "2026-10-01"]) == 1
    )
    assert "the range is empty" in capsys.readouterr().err


def test_cleanup_is_a_dry_run_until_told_yes_and_deletes_only_what_it_names(
    fake: FakeMentionMind, capsys: pytest.CaptureFixture[str]
) -> None:
    repository = MentionRepository(table("mentions"), retention_days=30)
    repository.put_many(
        Mention(
            mention_id=f"{source}-{day}-{n}",
            timestamp=f"2026-09-{day:02d}T10:00:{n:02d}Z",
            source=source,
            text="t",
        )
        for source in ("blogs", "news")
        for day in (10, 20)
        for n in range(60)
    )
    cleanup = ["cleanup", "--source", "blogs", "--before", "2026-09-15"]

    assert main(cleanup) == 0
    assert "dry run: 60 mentions of 'blogs' before 2026-09-15T00:00:00Z" in capsys.readouterr().err
    assert len(stored_ids()) == 240

    assert main([*cleanup, "--yes"]) == 0

    assert "deleted 60 mentions" in capsys.readouterr().err
    remaining = stored_ids()
    assert len(remaining) == 180
    assert not any(i.startswith("blogs-10-") for i in remaining)
