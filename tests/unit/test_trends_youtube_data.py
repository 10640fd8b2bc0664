"""The YouTube answers as the analysis reads them, on the real responses kept in
``../shared/realdata/youtube/``: counts as strings, missing ``likeCount``/``tags``,
durations, both ``publishedAt`` forms, duplicate category titles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.trends.videos import VideoCategory, chart_page, duration_seconds

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "youtube"


def real(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((REAL / name).read_text())
    return body


@pytest.mark.parametrize(
    "name", ["videos_list_mostPopular_2023-11.json", "videos_list_mostPopular_US_2020-03.json"]
)
def test_every_real_chart_item_is_read_with_counts_as_numbers(name: str) -> None:
    body = real(name)

    page = chart_page(body)

    assert page.invalid == ()
    assert [v.id for v in page.videos] == [item["id"] for item in body["items"]]
    assert page.next_page_token == body["nextPageToken"]
    assert page.total_results == 200
    for video, item in zip(page.videos, body["items"], strict=True):
        assert video.statistics.view_count == int(item["statistics"]["viewCount"])
        assert video.snippet.tags == tuple(item["snippet"].get("tags", ()))
        assert video.snippet.published_at.tzinfo is not None


def test_a_real_item_without_tags_or_likes_keeps_them_unknown_not_zero() -> None:
    body = real("videos_list_mostPopular_2023-11.json")
    item = next(i for i in body["items"] if "tags" not in i["snippet"])
    item = {**item, "statistics": {k: v for k, v in item["statistics"].items() if k != "likeCount"}}

    (video,) = chart_page({"items": [item]}).videos

    assert video.snippet.tags == ()
    assert video.statistics.like_count is None
    assert video.statistics.comment_count == int(item["statistics"]["commentCount"])


def test_both_real_date_forms_are_read_as_utc() -> None:
    new = chart_page(real("videos_list_mostPopular_2023-11.json")).videos[0]
    old = chart_page(real("videos_list_mostPopular_US_2020-03.json")).videos[0]

    assert new.snippet.published_at == datetime(2023, 11, 2, 14, 1, 47, tzinfo=UTC)
    assert old.snippet.published_at == datetime(2020, 3, 23, 16, 0, 10, tzinfo=UTC)
    assert new.duration_seconds == 4 * 60 + 9


def test_a_malformed_item_is_set_aside_with_its_reason_and_the_page_still_read() -> None:
    body = real("videos_list_mostPopular_US_2020-03.json")
    broken = {**body["items"][1], "statistics": {"viewCount": "many"}}

    page = chart_page({**body, "items": [body["items"][0], broken, *body["items"][2:]]})

    assert len(page.videos) == len(body["items"]) - 1
    assert [video_id for video_id, _ in page.invalid] == [broken["id"]]


def test_real_categories_are_kept_by_id_though_titles_repeat() -> None:
    categories = [VideoCategory.from_api(i) for i in real("videoCategories_list_US.json")["items"]]

    comedy = {c.id: c.assignable for c in categories if c.title == "Comedy"}

    assert comedy == {"23": True, "34": False}
    assert len({c.id for c in categories}) == len(categories) == 32


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT4M9S", 249),
        ("PT30S", 30),
        ("PT2M", 120),
        ("PT1H2M3S", 3723),
        ("P1DT1S", 86401),
        ("P0D", 0),
    ],
)
def test_iso_durations_as_youtube_writes_them(value: str, seconds: int) -> None:
    assert duration_seconds(value) == seconds


@pytest.mark.parametrize("value", ["", "P", "PT", "4M", "PT4X", "P1DT"])
def test_a_malformed_duration_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        duration_seconds(value)
