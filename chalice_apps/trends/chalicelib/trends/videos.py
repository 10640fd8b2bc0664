"""YouTube Data API resources as the analysis uses them, parsed from the JSON the API answers
(``../shared/specs/trends.md``).

What the real answers hold that a parser must survive: counts are strings (``"1234"``);
``likeCount`` is missing where the owner hides likes, ``commentCount`` where comments are
off, ``tags`` where the uploader set none; ``publishedAt`` comes with or without
milliseconds; ``videoCategories.list`` repeats titles under different ids (``Comedy`` is 23
and 34), so categories are only ever keyed by id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

# ISO 8601 durations as YouTube writes them: P1DT2H3M4S, PT4M9S, P0D (a live stream), P2W.
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def duration_seconds(value: str) -> int:
    """``PT4M9S`` -> 249.

    Raises:
        ValueError: not an ISO 8601 duration of weeks, days, hours, minutes and seconds.
    """
    match = _DURATION.match(value)
    if match is None or value in ("P", "PT") or value.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return int(timedelta(**parts).total_seconds())


class _Api(BaseModel):
    """YouTube's camelCase, with the fields we do not use ignored (the API adds fields)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class Statistics(_Api):
    # Strings on the wire; pydantic's lax mode reads "1234" as 1234. None: hidden or off.
    view_count: int = Field(default=0, ge=0)
    like_count: int | None = Field(default=None, ge=0)
    comment_count: int | None = Field(default=None, ge=0)


class Snippet(_Api):
    published_at: datetime
    channel_id: str
    channel_title: str = ""
    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    category_id: str

    @field_validator("published_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class Video(_Api):
    id: str = Field(min_length=1)
    snippet: Snippet
    statistics: Statistics = Statistics()
    duration_seconds: int | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Video:
        """One ``items[]`` entry of videos.list.

        Raises:
            pydantic.ValidationError: a field the analysis needs is missing or malformed.
        """
        duration = (item.get("contentDetails") or {}).get("duration")
        return cls.model_validate(
            {**item, "duration_seconds": duration_seconds(duration) if duration else None}
        )

    @property
    def text(self) -> str:
        """What keywords are taken from: the title, the tags and the description."""
        return "\n".join(
            [self.snippet.title, " ".join(self.snippet.tags), self.snippet.description]
        )


class VideoCategory(_Api):
    id: str
    title: str
    assignable: bool

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> VideoCategory:
        snippet = item.get("snippet") or {}
        return cls.model_validate(
            {
                "id": item.get("id"),
                "title": snippet.get("title"),
                "assignable": snippet.get("assignable", False),
            }
        )


class ChartPage(_Api):
    """One page of a mostPopular chart: its videos, the items that could not be parsed (by
    id, with the reason: logged and counted, never fatal), and the next page's token."""

    videos: tuple[Video, ...]
    invalid: tuple[tuple[str, str], ...] = ()
    next_page_token: str | None = None
    total_results: int | None = None


def chart_page(body: dict[str, Any]) -> ChartPage:
    """A videos.list answer as a ``ChartPage``."""
    from pydantic import ValidationError

    videos: list[Video] = []
    invalid: list[tuple[str, str]] = []
    for item in body.get("items") or []:
        try:
            videos.append(Video.from_api(item))
        except (ValidationError, ValueError) as err:
            invalid.append((str(item.get("id", "?")), str(err).splitlines()[0]))
    return ChartPage(
        videos=tuple(videos),
        invalid=tuple(invalid),
        next_page_token=body.get("nextPageToken") or None,
        total_results=(body.get("pageInfo") or {}).get("totalResults"),
    )
