"""Ingestion throughput: the scheduled run's conditional puts against the backfill's batch
writer, measured in one run on the same data.

The fake MentionMind (loopback HTTP) holds N mentions; both paths fetch them page by page
with the real client, validate and clean each one, and write them to the mentions table the
Pulumi program declares, in moto in-process. The scheduled run writes one conditional
PutItem per mention (that is what makes a mention seen twice count as a duplicate); the
backfill sends 25 per BatchWriteItem. Also: the same window run again (everything a
duplicate). Moto's speed is not DynamoDB's, so the ratio is what carries over.

Run with ``make bench``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "chalice_apps" / "mentions"))
os.environ.update(
    AWS_DEFAULT_REGION="eu-north-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench"
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from aws_lambda_powertools import Metrics  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib.mentions.backfill import plan_backfill, run_backfill  # noqa: E402
from chalicelib.mentions.client import MentionMindClient  # noqa: E402
from chalicelib.mentions.ingestion import IngestionDeps, WindowSettings, run_ingestion  # noqa: E402
from chalicelib.mentions.repository import MentionRepository  # noqa: E402
from chalicelib.mentions.state import IngesterState  # noqa: E402
from devstack.fakes.mentionmind import FakeMentionMind  # noqa: E402
from devstack.mocks import MotoMocks  # noqa: E402
from devstack.program import run_program  # noqa: E402
from shared.names import physical  # noqa: E402
from shared.observability import logger  # noqa: E402

MENTIONS = 2000
KEY = "bench-key"


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake: one line per request
    now = datetime.now(UTC)
    fake = FakeMentionMind({KEY})
    fake.mentions["p"] = [
        {
            "id": f"b{n}",
            "text": f"<p>mention <b>{n}</b> &amp; more</p>",
            "source": ("twitter", "news", "blogs")[n % 3],
            "date": (now - timedelta(seconds=30 * n + 60)).isoformat(),
        }
        for n in range(MENTIONS)
    ]
    fake.start()
    with mock_aws():
        run_program("dev", MotoMocks("eu-north-1"))
        dynamodb = boto3.resource("dynamodb")
        mentions = dynamodb.Table(physical("mentions", "dev"))
        state = IngesterState(dynamodb.Table(physical("mentions-ingester-state", "dev")))
        log = logger("bench")
        log.setLevel("ERROR")
        window = WindowSettings(
            first_run_lookback_hours=24 * 2,
            overlap_minutes=0,
            max_window_hours=48,
            lease_seconds=600,
        )

        def scheduled(owner: str) -> float:
            deps = IngestionDeps(
                MentionMindClient(KEY, base_url=fake.url, rate_limit="10000/minute"),
                MentionRepository(mentions, 30),
                state,
                window,
                log,
            )
            started = time.perf_counter()
            run_ingestion(["p"], deps, owner, now, Metrics(namespace="bench", service="bench"))
            return time.perf_counter() - started

        first = scheduled("run-1")
        # The same window again: reset the cursor so every mention comes back a duplicate.
        dynamodb.Table(physical("mentions-ingester-state", "dev")).delete_item(
            Key={"state_key": "ingest#p"}
        )
        again = scheduled("run-2")
        with mentions.batch_writer() as batch:
            for item in mentions.scan(
                ProjectionExpression="mention_id, #t", ExpressionAttributeNames={"#t": "timestamp"}
            )["Items"]:
                batch.delete_item(Key=item)
        plan = plan_backfill("p", now - timedelta(days=2), now, 48, state)
        started = time.perf_counter()
        run_backfill(
            "p",
            plan,
            MentionMindClient(KEY, base_url=fake.url, rate_limit="10000/minute"),
            MentionRepository(mentions, 30),
            state,
            "bench",
            log,
            lambda *_: None,
        )
        batched = time.perf_counter() - started
        assert mentions.scan(Select="COUNT")["Count"] == MENTIONS
    fake.stop()
    print(f"{MENTIONS} mentions, fetched in pages of 100 from the fake, written to moto")
    for label, seconds in (
        ("scheduled run, conditional puts (baseline)", first),
        ("same window again, all duplicates", again),
        ("backfill, batch writer (25 per call)", batched),
    ):
        rate = MENTIONS / seconds
        print(f"  {label:44s} {seconds:6.2f} s  {rate:6.0f} mentions/s  {first / seconds:4.1f}x")


if __name__ == "__main__":
    main()
