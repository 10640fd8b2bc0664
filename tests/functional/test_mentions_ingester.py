"""The scheduled ingester against the fake MentionMind, on the tables the program declares in
moto: through the Chalice app's handler (as EventBridge invokes it) and, where the faults
need a fast retry policy, through ``run_ingestion`` with the same dependencies."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Metrics
from chalice.test import Client

from chalicelib.mentions import env, names
from chalicelib.mentions.client import MentionMindClient, retrying_session
from chalicelib.mentions.exceptions import IngestionFailedError
from chalicelib.mentions.ingestion import IngestionDeps, WindowSettings, run_ingestion
from chalicelib.mentions.repository import MentionRepository
from chalicelib.mentions.state import IngesterState
from devstack.fakes.base import Fault
from devstack.fakes.mentionmind import FakeMentionMind
from devstack.mocks import MotoMocks
from devstack.services.awslambda.apps import load_app
from infra.registry import app_dir
from shared import aws
from shared.errors import ConfigurationError
from shared.names import physical
from shared.observability import logger
from tests.conftest import REGION
from tests.functional.conftest import STACK

pytestmark = pytest.mark.systems("mentions")

API_KEY = "mm-test-key"
PROJECT = "mm-demo-001"  # the dev stack's project
INGESTER = physical("mentions-ingest-mentions", STACK)


def raw_mention(i: int, hours_ago: float = 1.0, **fields: Any) -> dict[str, Any]:
    date = datetime.now(UTC) - timedelta(hours=hours_ago)
    return {
        "id": f"m{i}",
        "text": f"<p>mention <b>{i}</b></p>",
        "source": "twitter" if i % 2 else "news",
        "url": f"https://example.com/{i}",
        "author": "someone",
        "date": date.isoformat(),
        "status": "new",
    } | fields


def table(name: str) -> Any:
    return boto3.resource("dynamodb", region_name=REGION).Table(physical(name, STACK))


def stored() -> dict[str, dict[str, Any]]:
    return {i["mention_id"]: i for i in table("mentions").scan()["Items"]}


def cursor_state() -> dict[str, Any]:
    item = table("mentions-ingester-state").get_item(Key={"state_key": f"ingest#{PROJECT}"})
    return dict(item.get("Item", {}))


@pytest.fixture
def fake() -> Iterator[FakeMentionMind]:
    server = FakeMentionMind({API_KEY})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ingester_env(
    dev_stack: MotoMocks, fake: FakeMentionMind, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The ingester's environment from the program, the key stored, both tables empty."""
    variables = dev_stack.function_environment(INGESTER)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(env.MENTIONMIND_BASE_URL, fake.url)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(
        SecretId=variables[env.MENTIONMIND_SECRET_NAME],
        SecretString=json.dumps({"api_key": API_KEY}),
    )
    for name, keys in (
        ("mentions", ["mention_id", "timestamp"]),
        ("mentions-ingester-state", ["state_key"]),
    ):
        with table(name).batch_writer() as batch:
            for item in table(name).scan(
                ProjectionExpression=", ".join(f"#{n}" for n in range(len(keys))),
                ExpressionAttributeNames={f"#{n}": k for n, k in enumerate(keys)},
            )["Items"]:
                batch.delete_item(Key={k: item[k] for k in keys})
    from chalicelib.mentions import wiring

    wiring.reset()
    yield variables
    wiring.reset()
    aws.reset_clients()


@pytest.fixture
def mentions_app(ingester_env: dict[str, str]) -> Iterator[Client]:
    module = load_app("mentions")
    with Client(module.app, stage_name="package", project_dir=str(app_dir("mentions"))) as client:
        yield client


def fire(client: Client) -> Any:
    event = client.events.generate_cw_event(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=["arn:aws:events:eu-north-1:000000000000:rule/mentions"],
    )
    return client.lambda_.invoke("ingest_mentions", event).payload


def emitted_metrics(output: str) -> dict[str, list[float]]:
    """Every EMF metric value printed, by metric name."""
    values: dict[str, list[float]] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == names.MENTIONS_METRICS_NAMESPACE
            assert directive["Dimensions"] == [["service"]]
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
        assert blob["service"] == names.MENTIONS_INGESTER_SERVICE
    return values


def test_a_scheduled_run_stores_every_page_cleaned_and_moves_the_cursor(
    mentions_app: Client, fake: FakeMentionMind, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.mentions[PROJECT] = [raw_mention(i) for i in range(230)]
    fake.mentions[PROJECT].append(raw_mention(999, hours_ago=30))  # before the first window
    before = datetime.now(UTC)

    result = fire(mentions_app)

    assert result == {
        "projects": {PROJECT: "ingested"},
        "fetched": 230,
        "stored": 230,
        "duplicates": 0,
        "invalid": 0,
    }
    items = stored()
    assert set(items) == {f"m{i}" for i in range(230)}
    assert items["m7"]["text"] == "mention 7"
    assert items["m7"]["timestamp"].endswith("Z")
    assert sum(r["path"] == "/mention.php" for r in fake.requests) == 3  # 100 per page
    state = cursor_state()
    assert before <= datetime.fromisoformat(state["cursor"]) <= datetime.now(UTC)
    assert state["last_summary"]["stored"] == 230
    assert "lease_owner" not in state  # released for the next run
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["MentionsFetched"] == [230]
    assert metrics["MentionsStored"] == [230]
    assert metrics["SuccessfulRuns"] == [1]
    assert metrics["ApiCalls"] == [1, 1, 1, 1]  # the login and three pages
    assert metrics["ApiErrors"] == [0, 0, 0, 0]
    assert len(metrics["ApiLatency"]) == 4


def test_duplicates_across_pages_and_runs_are_written_once(
    mentions_app: Client, fake: FakeMentionMind
) -> None:
    first_page = [raw_mention(i) for i in range(150)]
    fake.mentions[PROJECT] = [*first_page, dict(first_page[5])]  # m5 again, on page 2
    first = fire(mentions_app)
    # A mention filed late lands in the overlap of the next window; the rest repeat too.
    fake.mentions[PROJECT].append(raw_mention(500, hours_ago=0.05))

    second = fire(mentions_app)

    assert (first["stored"], first["duplicates"]) == (150, 1)
    assert second["stored"] == 1
    assert len(stored()) == 151
    # The second window starts `overlapMinutes` before the first one's end.
    assert second["fetched"] < first["fetched"]


def test_invalid_mentions_are_counted_logged_and_never_stored(
    mentions_app: Client, fake: FakeMentionMind, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.mentions[PROJECT] = [
        raw_mention(1),
        raw_mention(2, date="yesterday-ish"),
        raw_mention(3, text="<script>alert(1)</script>"),
        {"text": "no id", "source": "news", "date": datetime.now(UTC).isoformat()},
    ]

    result = fire(mentions_app)

    assert (result["stored"], result["invalid"]) == (1, 3)
    assert set(stored()) == {"m1"}
    output = capsys.readouterr().out
    logged = [json.loads(line) for line in output.splitlines() if "invalid mention" in line]
    reasons = {entry.get("mention_id"): entry["reason"] for entry in logged}
    assert "timestamp" in reasons["m2"]
    assert reasons["m3"].startswith("text:")
    assert "mention_id" in reasons[None]
    assert emitted_metrics(output)["MentionsInvalid"] == [3]


def deps(fake: FakeMentionMind, log_name: str = "mentions-test") -> IngestionDeps:
    """The dependencies ``wiring`` builds, with a retry policy fast enough for tests."""
    return IngestionDeps(
        client=MentionMindClient(
            API_KEY, base_url=fake.url, session=retrying_session(backoff_seconds=0.01)
        ),
        repository=MentionRepository(table("mentions"), retention_days=30),
        state=IngesterState(table("mentions-ingester-state")),
        window=WindowSettings.model_validate_json(os.environ[env.INGESTION_WINDOW]),
        log=logger(log_name),
    )


def test_a_failure_mid_window_keeps_the_cursor_and_the_next_run_completes_it(
    ingester_env: dict[str, str], fake: FakeMentionMind
) -> None:
    fake.mentions[PROJECT] = [raw_mention(i) for i in range(250)]
    now = datetime.now(UTC)
    fake.fail_next(Fault("/mention.php", status=200), times=1)  # page 1 answers normally
    fake.fail_next(Fault("/mention.php", status=503), times=4)  # page 2: every retry fails
    with pytest.raises(IngestionFailedError, match=PROJECT):
        run_ingestion([PROJECT], deps(fake), "run-1", now, Metrics(namespace="t", service="t"))

    assert "cursor" not in cursor_state()
    assert "lease_owner" not in cursor_state()
    assert len(stored()) == 100  # page 1 stays stored

    result = run_ingestion([PROJECT], deps(fake), "run-2", now, Metrics(namespace="t", service="t"))

    assert (result["stored"], result["duplicates"]) == (150, 100)
    assert len(stored()) == 250
    assert cursor_state()["cursor"] == now.isoformat().replace("+00:00", "Z")


def test_a_run_finding_the_lease_held_does_nothing_until_it_expires(
    ingester_env: dict[str, str], fake: FakeMentionMind
) -> None:
    fake.mentions[PROJECT] = [raw_mention(i) for i in range(3)]
    state = IngesterState(table("mentions-ingester-state"))
    assert state.acquire(f"ingest#{PROJECT}", "slow-run", 600) is not None

    busy = run_ingestion(
        [PROJECT], deps(fake), "next-run", datetime.now(UTC), Metrics(namespace="t", service="t")
    )

    assert busy["projects"] == {PROJECT: "busy"}
    assert not any(r["path"] == "/mention.php" for r in fake.requests)
    assert stored() == {}
    later = IngesterState(table("mentions-ingester-state"), clock=lambda: 4e9)  # lease expired
    assert later.acquire(f"ingest#{PROJECT}", "next-run", 600) is not None


def test_two_runs_at_once_fetch_and_store_once(
    ingester_env: dict[str, str], fake: FakeMentionMind
) -> None:
    fake.mentions[PROJECT] = [raw_mention(i) for i in range(20)]
    fake.fail_next(Fault("/mention.php", status=200, delay_seconds=1.0))
    results: dict[str, dict[str, Any]] = {}
    now = datetime.now(UTC)

    def run(owner: str) -> None:
        results[owner] = run_ingestion(
            [PROJECT], deps(fake, owner), owner, now, Metrics(namespace="t", service="t")
        )

    threads = [threading.Thread(target=run, args=(f"run-{n}",)) for n in range(2)]
    threads[0].start()
    deadline = time.monotonic() + 5
    while "lease_owner" not in cursor_state() and time.monotonic() < deadline:
        time.sleep(0.02)
    threads[1].start()  # while run-0 holds the lease and waits for MentionMind
    for thread in threads:
        thread.join()

    statuses = sorted(r["projects"][PROJECT] for r in results.values())
    assert statuses == ["busy", "ingested"]
    assert sum(r["path"] == "/mention.php" for r in fake.requests) == 1
    assert sum(r["stored"] for r in results.values()) == 20


def test_a_secret_without_a_value_is_a_configuration_error(
    mentions_app: Client, ingester_env: dict[str, str], fake: FakeMentionMind
) -> None:
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=ingester_env[env.MENTIONMIND_SECRET_NAME], SecretString=json.dumps({"key": "x"})
    )

    with pytest.raises(ConfigurationError, match='no "api_key"'):
        fire(mentions_app)

    assert fake.requests == []
