"""The hourly run's cost: Patchwork calls and DynamoDB requests for 0, 10 and 250 new
patches, on stores of 500 and 2,000 patches, measured in one run.

The fake Patchwork (loopback HTTP) holds the store's patches plus the new ones; the tables,
queue and state are the ones the Pulumi program declares, in moto in-process, and the run is
``fetch_recent`` with the real client and repositories. Every DynamoDB request is counted as
the client sends it (botocore's ``before-call`` event), with the items it carries. The
cursor sits on the newest stored patch, so the run asks Patchwork for what is newer plus the
overlap (``overlapMinutes``) and looks up only those: the cost follows the new patches, not
the store, and a run with nothing new is one Patchwork call and no write.

Run with ``make bench``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "chalice_apps" / "patches"))
os.environ.update(
    AWS_DEFAULT_REGION="eu-north-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench"
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from aws_lambda_powertools import Metrics  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib.patches import env, names  # noqa: E402
from chalicelib.patches.breaker import BreakerSettings, CircuitBreaker  # noqa: E402
from chalicelib.patches.config import IngesterConfig  # noqa: E402
from chalicelib.patches.fetching import FetchDeps, fetch_recent  # noqa: E402
from chalicelib.patches.patch_repository import PatchRepository  # noqa: E402
from chalicelib.patches.patchwork import PatchworkClient  # noqa: E402
from chalicelib.patches.records import Patch, to_patch  # noqa: E402
from chalicelib.patches.state import Cursors  # noqa: E402
from chalicelib.patches.transport import ServiceClient  # noqa: E402
from chalicelib.patches.work import WorkQueue  # noqa: E402
from devstack.fakes.patchwork import FakePatchwork, patchwork_patch  # noqa: E402
from devstack.mocks import MotoMocks  # noqa: E402
from devstack.program import run_program  # noqa: E402
from shared.names import physical  # noqa: E402
from shared.observability import logger  # noqa: E402

PROJECT = "bench"
STORES = (500, 2000)
NEW = (0, 10, 250)
WRITES = ("BatchWriteItem", "PutItem", "UpdateItem", "TransactWriteItems")


def raw_patch(n: int, when: datetime) -> dict[str, Any]:
    series = (n // 5, f"series {n // 5}", 1) if n % 3 else None
    return patchwork_patch(
        n, PROJECT, f"[PATCH] change {n}", when, f"b{n}@bench.org", ("A", "a@x.org"), "new", series
    )


class DynamoCounter:
    """DynamoDB requests by table and operation, and the items each carries, as the client
    sends them (botocore's ``before-parameter-build``: the API's own parameters)."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.items: Counter[tuple[str, str]] = Counter()

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        operation = model.name
        if "RequestItems" in params:
            for table, carried in params["RequestItems"].items():
                count = len(carried) if isinstance(carried, list) else len(carried["Keys"])
                self.calls[(table, operation)] += 1
                self.items[(table, operation)] += count
        else:
            self.calls[(str(params.get("TableName")), operation)] += 1
            self.items[(str(params.get("TableName")), operation)] += 1

    def count(self, table: str, operations: tuple[str, ...], what: str = "calls") -> int:
        counter = self.calls if what == "calls" else self.items
        return sum(counter[(table, operation)] for operation in operations)


def scenario(store: int, new: int, stack: Any, fake: FakePatchwork) -> dict[str, Any]:
    """A store of ``store`` patches over 30 days, the cursor on the newest; ``new`` patches
    filed since. Returns what one hourly run cost."""
    variables = stack.function_environment(physical("patches-fetch-recent-patches", "dev"))
    config = IngesterConfig.model_validate_json(variables[env.INGESTER_CONFIG])
    dynamodb = boto3.resource("dynamodb")
    table = dynamodb.Table(variables[env.PATCHES_TABLE])
    state = dynamodb.Table(variables[env.STATE_TABLE])
    for existing in (table, state):  # empty, between scenarios
        key = existing.key_schema[0]["AttributeName"]
        held = existing.scan(ProjectionExpression="#k", ExpressionAttributeNames={"#k": key})
        with existing.batch_writer() as batch:
            for item in held["Items"]:
                batch.delete_item(Key={key: item[key]})
    newest = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    stored = [raw_patch(n, newest - timedelta(minutes=(store - 1 - n) * 21)) for n in range(store)]
    repository = PatchRepository(table)
    patches = [p for p in map(to_patch, stored) if isinstance(p, Patch)]
    repository.put_new(patches)
    cursors = Cursors(state)
    cursors.advance(PROJECT, max(p.date for p in patches), {})
    fresh = [raw_patch(store + n, newest + timedelta(minutes=1 + n % 90)) for n in range(new)]
    fake.patches = stored + fresh
    fake.queries.clear()
    counter = DynamoCounter()
    dynamodb.meta.client.meta.events.register("before-parameter-build.dynamodb", counter)
    breaker = CircuitBreaker(
        state, names.PATCHWORK, BreakerSettings(config.breaker_failures, 300, 150)
    )
    transport = ServiceClient(names.PATCHWORK, fake.url, breaker=breaker, rate_limit="1000/second")
    log = logger("bench")
    log.setLevel("ERROR")
    deps = FetchDeps(
        patchwork=PatchworkClient(transport, config.page_size),
        patches=repository,
        cursors=cursors,
        threads=WorkQueue(boto3.client("sqs"), variables[env.THREAD_QUEUE_URL]),
        breaker=breaker,
        config=config,
        log=log,
    )
    started = time.perf_counter()
    result = fetch_recent([PROJECT], deps, datetime.now(UTC), Metrics(namespace="b", service="b"))
    seconds = time.perf_counter() - started
    dynamodb.meta.client.meta.events.unregister("before-parameter-build.dynamodb", counter)
    patches_table, state_table = table.name, state.name
    return {
        "result": result,
        "seconds": seconds,
        "patchwork_calls": len(fake.queries),
        "lookups": counter.count(patches_table, ("BatchGetItem",)),
        "looked_up": counter.count(patches_table, ("BatchGetItem",), "items"),
        "write_calls": counter.count(patches_table, WRITES),
        "written": counter.count(patches_table, WRITES, "items"),
        "state": counter.count(state_table, ("GetItem", "UpdateItem")),
    }


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    fake = FakePatchwork()
    fake.start()
    rows = []
    with mock_aws():
        stack = run_program("dev", MotoMocks("eu-north-1"))
        for store in STORES:
            for new in NEW:
                rows.append((store, new, scenario(store, new, stack, fake)))
    fake.stop()
    print("hourly run on a store of patches: Patchwork calls and DynamoDB requests per run")
    print("(patches table: lookups = BatchGetItem calls/keys, writes = calls/items; state =")
    print(" cursor and breaker reads and writes; moto's speed is not DynamoDB's, the counts are)")
    print(
        f"  {'store':>6} {'new':>4} {'patchwork calls':>15} {'lookups':>9} {'writes':>8} "
        f"{'state':>5} {'seconds':>7}"
    )
    for store, new, cost in rows:
        assert cost["result"]["new"] == new, cost
        lookups = f"{cost['lookups']}/{cost['looked_up']}"
        writes = f"{cost['write_calls']}/{cost['written']}"
        print(
            f"  {store:>6} {new:>4} {cost['patchwork_calls']:>15} {lookups:>9} {writes:>8} "
            f"{cost['state']:>5} {cost['seconds']:>7.2f}"
        )
    nothing = [cost for _, new, cost in rows if new == 0]
    assert all(c["patchwork_calls"] == 1 and c["written"] == 0 for c in nothing), nothing


if __name__ == "__main__":
    main()
