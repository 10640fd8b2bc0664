"""The night's plan and the videos' records on the program's tables (moto): topics' best
trends first, the night's cap, the month's budget (spend recorded stage by stage, a retried
stage counted once), a night started twice planning nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.trends import video_wiring, wiring
from chalicelib.trends.configuration import TrendsConfig
from chalicelib.trends.pricing import estimate
from chalicelib.trends.video_plan import night_of, plan_night
from chalicelib.trends.video_records import VideoStore
from devstack.program import RecordingMocks
from shared.names import physical
from tests.trends_support import STACK, rank_one, trends_in_moto

# 03:00 UTC on 7 December is still the 6th in New York: the night of the 6th.
NOW = datetime(2026, 12, 7, 3, tzinfo=UTC)
CONFIG = TrendsConfig.model_validate(
    {
        "topics": [
            {"name": "education", "prompt": "Explain {trend} simply.", "videos_per_day": 1},
            {"name": "technology", "prompt": "What is {trend}?", "videos_per_day": 2},
            {"name": "finance", "prompt": "Money: {trend}", "enabled": False},
        ],
        "video": {"min_minutes": 1, "max_minutes": 1, "resolution": "540p"},
    }
)


@pytest.fixture(scope="module")
def moto() -> Iterator[RecordingMocks]:
    with trends_in_moto() as mocks:
        yield mocks


@pytest.fixture
def store(moto: RecordingMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[VideoStore]:
    for name, value in moto.function_environment(physical("trends-plan-videos", STACK)).items():
        monkeypatch.setenv(name, value)
    video_wiring.reset()
    rankings = wiring.rankings()
    for topic, keyword, views in (
        ("education", "fractions", 5_000),
        ("technology", "ai agents", 90_000),
        ("technology", "quantum chips", 40_000),
        ("finance", "index funds", 1_000_000),
    ):
        rankings.store_ranking(topic, NOW, rank_one(keyword, f"All about {keyword}", views, NOW))
    yield video_wiring.store()
    for table in (video_wiring.store()._videos, video_wiring.store()._state):
        key = table.key_schema[0]["AttributeName"]
        for item in table.scan()["Items"]:
            table.delete_item(Key={key: item[key]})
    video_wiring.reset()


def test_the_best_trends_of_enabled_topics_are_planned_within_the_nights_cap(
    store: VideoStore,
) -> None:
    planned = plan_night(
        CONFIG, wiring.rankings(), store, budget_usd=100, videos_per_night=2, moment=NOW
    )

    assert planned["night"] == night_of(NOW) == "2026-12-06"
    # technology ranks one trend per run here (the latest run replaces the earlier one).
    assert [(v["topic"], v["keyword"]) for v in planned["videos"]] == [
        ("technology", "quantum chips"),
        ("education", "fractions"),
    ]
    assert not [v for v in planned["left_out"] if v["topic"] == "finance"]
    first = planned["videos"][0]
    assert first["video_id"] == "2026-12-06-technology-1"
    assert first["target_seconds"] == 60 and first["prompt"] == "What is quantum chips?"
    assert store.get(first["video_id"])["status"] == "planned"


def test_the_month_budget_leaves_videos_out_and_counts_each_stage_once(
    store: VideoStore,
) -> None:
    one_video = estimate(CONFIG).video_total
    store.plan({"video_id": "earlier", "night": "2026-12-01"}, NOW)
    assert store.record_stage("earlier", "script", 1.5, NOW)
    # Step Functions retried the stage: nothing is counted twice.
    assert not store.record_stage("earlier", "script", 1.5, NOW)
    assert store.month_spend(NOW) == pytest.approx(1.5)

    planned = plan_night(
        CONFIG,
        wiring.rankings(),
        store,
        budget_usd=1.5 + one_video * 1.5,
        videos_per_night=5,
        moment=NOW,
    )

    assert len(planned["videos"]) == 1
    assert [v["by"] for v in planned["left_out"]] == ["the month's budget"]
    assert planned["budget"]["spent_usd"] == pytest.approx(1.5)
    assert planned["budget"]["remaining_usd"] >= planned["budget"]["video_estimate_usd"]


def test_a_spent_budget_plans_nothing_and_says_so_in_numbers(store: VideoStore) -> None:
    store.plan({"video_id": "earlier", "night": "2026-12-01"}, NOW)
    store.record_stage("earlier", "clips", 99.99, NOW)

    planned = plan_night(
        CONFIG, wiring.rankings(), store, budget_usd=100, videos_per_night=5, moment=NOW
    )

    assert planned["videos"] == []
    assert planned["budget"]["remaining_usd"] < planned["budget"]["video_estimate_usd"]


def test_a_night_started_twice_plans_no_video_twice(store: VideoStore) -> None:
    first = plan_night(
        CONFIG, wiring.rankings(), store, budget_usd=100, videos_per_night=5, moment=NOW
    )
    again = plan_night(
        CONFIG, wiring.rankings(), store, budget_usd=100, videos_per_night=5, moment=NOW
    )

    assert len(first["videos"]) == 2
    assert again["videos"] == []
    assert {v["video_id"] for v in store.night("2026-12-06")} == {
        v["video_id"] for v in first["videos"]
    }
