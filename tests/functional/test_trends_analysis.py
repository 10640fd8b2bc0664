"""The daily analysis end to end: the program's environment and tables (moto), the YouTube
fake over HTTP, the handler invoked as the schedule invokes it; velocity from the stored
snapshots of two runs an hour apart; a run that meets the quota stops cleanly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Metrics
from chalice.test import Client

from chalicelib.trends import env, names, wiring
from chalicelib.trends.analysis import QUOTA_EXHAUSTED, RANKED, analyze
from chalicelib.trends.repositories import run_time
from devstack.fakes.youtube import API_PREFIX, FakeYouTube, demo_videos, quota_exceeded
from devstack.outside import RealServices
from devstack.profiles import FakeContext, SeedContext
from devstack.profiles.trends import PROFILE
from devstack.program import RecordingMocks
from devstack.services.awslambda.apps import load_app
from shared.names import physical
from tests.conftest import REGION
from tests.trends_support import API_KEY, STACK, trends_in_moto

TOPICS = ("education", "investing", "tourism", "technology", "health", "finance")


@pytest.fixture(scope="module")
def moto() -> Iterator[RecordingMocks]:
    with trends_in_moto() as mocks:
        yield mocks


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def youtube(clock: Clock) -> Iterator[FakeYouTube]:
    fake = FakeYouTube({API_KEY}, clock=clock)
    fake.add("US", demo_videos(clock.now))
    fake.start()
    yield fake
    fake.stop()


def table(base_name: str) -> Any:
    return boto3.resource("dynamodb", region_name=REGION).Table(physical(base_name, STACK))


def empty(base_name: str, keys: tuple[str, ...]) -> None:
    for item in table(base_name).scan()["Items"]:
        table(base_name).delete_item(Key={k: item[k] for k in keys})


@pytest.fixture
def emptied(moto: RecordingMocks) -> Iterator[None]:
    """The tables emptied after the test, and no client kept."""
    yield
    wiring.reset()
    empty(names.TREND_ANALYTICS_TABLE.base_name, ("topic", "run_rank"))
    empty(names.VIDEO_METADATA_TABLE.base_name, ("video_id", "snapshot_at"))
    empty(names.TRENDS_STATE_TABLE.base_name, ("state_key",))


@pytest.fixture
def environment(
    moto: RecordingMocks, youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch, emptied: None
) -> dict[str, str]:
    """The analysis function's environment from the program, pointed at the fake."""
    variables = moto.function_environment(physical("trends-analyze-trends", STACK))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(env.YOUTUBE_API_URL, youtube.url + API_PREFIX)
    wiring.reset()
    return variables


def with_budget(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], units: int) -> None:
    config = json.loads(variables[env.ANALYSIS_CONFIG]) | {"quotaUnitsPerDay": units}
    monkeypatch.setenv(env.ANALYSIS_CONFIG, json.dumps(config))
    wiring.reset()


def emitted(metrics: Metrics) -> dict[str, Any]:
    values: dict[str, Any] = dict(metrics.serialize_metric_set())
    metrics.clear_metrics()
    return values


def test_the_scheduled_invocation_ranks_every_topic_and_a_retry_rewrites_its_own_items(
    environment: dict[str, str], clock: Clock
) -> None:
    scheduled = run_time(clock.now - timedelta(seconds=30))
    event = {"schedule": "trends-daily-analysis-dev", "scheduled_time": scheduled, "attempt": "1"}
    with Client(load_app("trends").app, stage_name=STACK) as client:
        report = client.lambda_.invoke("analyze_trends", event).payload
        ranked = table(names.TREND_ANALYTICS_TABLE.base_name).scan()["Items"]
        retried = client.lambda_.invoke("analyze_trends", event | {"attempt": "2"}).payload

    assert {name: t["status"] for name, t in report["topics"].items()} == dict.fromkeys(
        TOPICS, RANKED
    )
    assert report["stopped"] is None
    # one categories call, then one page per distinct chart (27, 25, 22, 19, 28, 26)
    assert report["quota_units"] == 7
    tech = wiring.analysis_deps(wiring.metrics()).trends.latest_ranking("technology")
    assert [t["keyword"] for t in tech][:2] == ["ai agents", "foldable phone"]
    assert [t["rank"] for t in tech] == list(range(1, len(tech) + 1))
    assert {t["run_at"] for t in ranked} == {scheduled}
    snapshots = table(names.VIDEO_METADATA_TABLE.base_name).scan()["Items"]
    assert len(snapshots) == report["videos"] == len(demo_videos(clock.now))
    # the retry of the same invocation replaced its items: no second ranking
    assert retried["topics"] == report["topics"]
    assert len(table(names.TREND_ANALYTICS_TABLE.base_name).scan()["Items"]) == len(ranked)
    assert len(table(names.VIDEO_METADATA_TABLE.base_name).scan()["Items"]) == len(snapshots)


def test_a_second_run_an_hour_later_scores_by_the_views_gained_since_the_first(
    environment: dict[str, str], clock: Clock
) -> None:
    first_run = clock.now
    metrics = wiring.metrics()
    analyze(wiring.analysis_deps(metrics), first_run, metrics)
    clock.now = first_run + timedelta(hours=1)

    analyze(wiring.analysis_deps(metrics), clock.now, metrics)
    emitted(metrics)

    videos = {v.id: v for v in demo_videos(first_run)}
    latest = table(names.VIDEO_METADATA_TABLE.base_name).query(
        KeyConditionExpression="video_id = :v",
        ExpressionAttributeValues={":v": "demo0000001"},
        ScanIndexForward=False,
    )["Items"]
    assert [s["snapshot_at"] for s in latest] == [run_time(clock.now), run_time(first_run)]
    assert "velocity" not in latest[1]
    assert float(latest[0]["velocity"]) == pytest.approx(videos["demo0000001"].views_per_hour, 1)
    ranking = wiring.analysis_deps(metrics).trends.latest_ranking("technology")
    assert {t["run_at"] for t in ranking} == {run_time(clock.now)}
    assert [t["score"] for t in ranking] == sorted((t["score"] for t in ranking), reverse=True)


def test_a_run_that_would_overspend_the_budget_stops_cleanly_and_says_so(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    # categories 1 + education (27) 1 + investing (25, 22; 27 read already) 2 = 4 units
    with_budget(monkeypatch, environment, 4)
    metrics = wiring.metrics()

    report = analyze(wiring.analysis_deps(metrics), clock.now, metrics)

    assert {name: t["status"] for name, t in report["topics"].items()} == {
        "education": RANKED,
        "investing": RANKED,
        **dict.fromkeys(("tourism", "technology", "health", "finance"), QUOTA_EXHAUSTED),
    }
    assert "budget of 4 units" in report["stopped"]
    assert report["quota_units"] == 4
    values = emitted(metrics)
    assert (values["QuotaStops"], values["SuccessfulRuns"], values["TopicsRanked"]) == (
        [1],
        [0],
        [2],
    )
    trends = wiring.analysis_deps(metrics).trends
    assert trends.latest_ranking("investing")
    assert trends.latest_ranking("tourism") == []  # nothing half-written


def test_youtube_saying_the_quota_is_spent_stops_the_run_the_same_way(
    environment: dict[str, str], youtube: FakeYouTube, clock: Clock
) -> None:
    youtube.fail_next(quota_exceeded("/videos"), times=10)
    metrics = wiring.metrics()

    report = analyze(wiring.analysis_deps(metrics), clock.now, metrics)
    emitted(metrics)

    assert {t["status"] for t in report["topics"].values()} == {QUOTA_EXHAUSTED}
    assert "midnight Pacific" in report["stopped"]
    assert report["quota_units"] == 2  # the categories and the one refused chart call


def test_the_local_profile_s_fake_and_key_give_every_topic_a_ranking(
    moto: RecordingMocks, monkeypatch: pytest.MonkeyPatch, emptied: None
) -> None:
    profile = PROFILE
    (fake,) = profile.fakes
    assert profile.seed is not None
    server = fake.build(FakeContext(mocks=moto, now=datetime.now(UTC)))
    server.start()
    try:
        for name, value in moto.function_environment(
            physical("trends-analyze-trends", STACK)
        ).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv(fake.variable, server.url + fake.suffix)
        profile.seed(SeedContext(stack=STACK, real=RealServices()))
        wiring.reset()
        metrics = wiring.metrics()

        report = analyze(wiring.analysis_deps(metrics), datetime.now(UTC), metrics)
        emitted(metrics)
    finally:
        server.stop()
        # the key the other tests' fake takes, back in the secret
        boto3.client("secretsmanager", region_name=REGION).put_secret_value(
            SecretId=physical(names.YOUTUBE_API_KEY_SECRET, STACK),
            SecretString=json.dumps({"api_key": API_KEY}),
        )

    assert {t["status"] for t in report["topics"].values()} == {RANKED}
    assert all(t["trends"] >= 1 for t in report["topics"].values())


def test_every_youtube_call_leaves_an_audit_line_without_the_key(
    environment: dict[str, str], clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = wiring.metrics()

    report = analyze(wiring.analysis_deps(metrics), clock.now, metrics)
    emitted(metrics)

    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if '"youtube call"' in line]
    assert len(lines) == report["quota_units"] == 7
    assert {line["method"] for line in lines} == {"videos.list", "videoCategories.list"}
    assert all(line["status"] == 200 and line["attempts"] == 1 for line in lines)
    assert API_KEY not in out
