"""Trend detection and ranking (seed 002 §3.2, §4.2): engagement per video, the documented
score, keywords, videos grouped into trends and ranked; the quota's Pacific day."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.trends.analysis import run_moment
from chalicelib.trends.keywords import extract_keywords, normalise
from chalicelib.trends.quota import quota_day
from chalicelib.trends.ranking import (
    COMMENT_WEIGHT,
    LIKE_WEIGHT,
    Scored,
    Snapshot,
    engagement,
    rank_trends,
)
from chalicelib.trends.videos import Video

NOW = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)


def video(
    video_id: str,
    *,
    views: int,
    hours_old: float = 10,
    likes: int | None = None,
    comments: int | None = None,
    title: str = "a video",
) -> Video:
    statistics = {"viewCount": str(views)}
    if likes is not None:
        statistics["likeCount"] = str(likes)
    if comments is not None:
        statistics["commentCount"] = str(comments)
    return Video.from_api(
        {
            "id": video_id,
            "snippet": {
                "publishedAt": (NOW - timedelta(hours=hours_old)).isoformat(),
                "channelId": "UC1",
                "title": title,
                "categoryId": "28",
            },
            "statistics": statistics,
        }
    )


def test_without_a_previous_snapshot_the_lifetime_views_per_hour_drive_the_score() -> None:
    result = engagement(video("v", views=10_000, likes=400, comments=20), NOW, None)

    assert result.views_per_hour == 1_000
    assert result.velocity is None
    assert result.like_rate == pytest.approx(0.04)
    assert result.comment_rate == pytest.approx(0.002)
    factor = 1 + LIKE_WEIGHT * 0.04 + COMMENT_WEIGHT * 0.002
    assert result.score == pytest.approx(math.log10(1 + 1_000) * factor)


def test_the_velocity_between_two_runs_replaces_the_lifetime_average() -> None:
    previous = Snapshot(NOW - timedelta(hours=2), views=4_000)

    result = engagement(video("v", views=10_000), NOW, previous)

    assert result.velocity == 3_000
    assert result.score == pytest.approx(math.log10(1 + 3_000))


@pytest.mark.parametrize(
    "previous",
    [
        Snapshot(NOW - timedelta(minutes=5), views=1),  # too close to say anything
        Snapshot(NOW - timedelta(hours=1), views=20_000),  # YouTube removed views
    ],
)
def test_an_unusable_previous_snapshot_is_ignored(previous: Snapshot) -> None:
    assert engagement(video("v", views=10_000), NOW, previous).velocity is None


def test_hidden_counts_are_unknown_and_count_nothing_and_a_fresh_video_is_an_hour_old() -> None:
    result = engagement(video("v", views=500, hours_old=0.1), NOW, None)

    assert (result.like_rate, result.comment_rate) == (None, None)
    assert result.age_hours == 1.0
    assert result.score == pytest.approx(math.log10(501))


def scored(video_id: str, views: int, keywords: tuple[str, ...], previous: int | None) -> Scored:
    before = None if previous is None else Snapshot(NOW - timedelta(hours=1), previous)
    item = video(video_id, views=views, title=f"title {video_id}")
    return Scored(item, engagement(item, NOW, before), keywords)


def test_a_fixed_snapshot_pair_ranks_trends_in_the_documented_order() -> None:
    # GIVEN two runs an hour apart: "ai agents" has three videos gaining views, "foldable"
    # one video gaining the most, "cooking" two slow ones, and "official" is on 8 of the 10.
    videos = [
        scored("a1", 50_000, ("ai agents", "official", "python"), 40_000),
        scored("a2", 30_000, ("ai agents", "official"), 22_000),
        scored("a3", 9_000, ("python", "tutorial"), 5_000),  # joins through "python"
        scored("f1", 200_000, ("foldable phone", "official"), 150_000),
        scored("c1", 1_000, ("cooking", "official"), 990),
        scored("c2", 2_000, ("cooking", "pasta"), 1_980),
        *(scored(f"x{n}", 100, ("official", f"misc {n}"), 100) for n in range(4)),
    ]

    trends = rank_trends(videos)

    # THEN the trends: scores are sums of log10(1 + views gained per hour), and the four
    # videos that gained nothing come last, one trend each
    assert [(t.keyword, [m.video.id for m in t.members]) for t in trends] == [
        ("ai agents", ["a1", "a2", "a3"]),
        ("foldable phone", ["f1"]),
        ("cooking", ["c2", "c1"]),
        *((f"misc {n}", [f"x{n}"]) for n in range(4)),
    ]
    assert trends[0].score == pytest.approx(
        math.log10(10_001) + math.log10(8_001) + math.log10(4_001)
    )
    assert trends[1].score == pytest.approx(math.log10(50_001))
    assert "official" not in trends[0].keywords  # on more than half the videos: ignored


def test_in_a_small_topic_no_keyword_is_too_common_to_group_by() -> None:
    videos = [scored(f"a{n}", 1_000 * (n + 1), ("ai agents",), None) for n in range(3)]

    (trend,) = rank_trends([*videos, scored("b", 50, ("baking",), None)])[:1]

    assert (trend.keyword, len(trend.members)) == ("ai agents", 3)


def test_nothing_to_rank_is_no_trend() -> None:
    assert rank_trends([]) == []


def test_keywords_come_from_the_title_tags_and_description_normalised() -> None:
    found = extract_keywords(
        "Building AI Agents in Python!",
        ("AI agents", "python tutorial", "2026"),
        "Learn to build AI agents. https://example.com/x Subscribe!",
        top=6,
    )

    assert "ai agents" in found
    assert all(k == normalise(k) for k in found)
    assert "2026" not in found
    assert not any("example.com" in k for k in found)
    assert len(found) == len(set(found)) <= 6


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        # 07:59 UTC on 8 Dec is 23:59 on 7 Dec in Los Angeles (PST, UTC-8): yesterday's quota
        (datetime(2026, 12, 8, 7, 59, tzinfo=UTC), "2026-12-07"),
        (datetime(2026, 12, 8, 8, 0, tzinfo=UTC), "2026-12-08"),
        # in summer (PDT, UTC-7) the day turns an hour earlier in UTC
        (datetime(2026, 7, 8, 6, 59, tzinfo=UTC), "2026-07-07"),
        (datetime(2026, 7, 8, 7, 0, tzinfo=UTC), "2026-07-08"),
    ],
)
def test_the_quota_day_is_the_pacific_date(moment: datetime, day: str) -> None:
    assert quota_day(moment) == day


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"scheduled_time": "2026-12-06T13:00:00Z", "attempt": "2"}, NOW),
        ({"scheduled_time": "2026-12-06T12:59:00Z"}, NOW - timedelta(minutes=1)),
        ({"scheduled_time": "2026-11-01T13:00:00Z"}, NOW + timedelta(minutes=7)),  # too old
        ({"scheduled_time": "<aws.scheduler.scheduled-time>"}, NOW + timedelta(minutes=7)),
        ({"scheduled_time": "2026-12-06T13:00:00"}, NOW + timedelta(minutes=7)),  # no zone
        ({}, NOW + timedelta(minutes=7)),
    ],
)
def test_a_run_takes_the_time_its_schedule_meant_so_a_retry_rewrites_its_own_items(
    event: dict[str, str], expected: datetime
) -> None:
    assert run_moment(event, NOW + timedelta(minutes=7)) == expected
