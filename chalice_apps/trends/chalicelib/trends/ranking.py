"""Trend detection and ranking (seed 002 §3.2, §4.2): engagement per video, videos grouped
into trends by shared keywords, trends ranked by score. Pure functions: no I/O.

The ranking score, documented here and in the README:

- a video's **velocity** is the views it gained per hour between the previous run's snapshot
  and this one; without a usable previous snapshot (first sighting, under
  ``MIN_INTERVAL_HOURS`` apart, or a count that went down: YouTube removes spam views), its
  lifetime **views per hour** since publishing (age at least one hour) stands in;
- its **engagement factor** is ``1 + LIKE_WEIGHT * likes/views + COMMENT_WEIGHT *
  comments/views`` (a hidden count counts 0);
- its **score** is ``log10(1 + velocity) * engagement factor``: the logarithm keeps one
  viral video from drowning a topic, engagement lifts what people act on;
- a **trend** is a group of videos sharing keywords (below); its score is the sum of its
  videos' scores, so many videos rising together outrank one. Trends are ranked by score,
  highest first, ties by keyword.

Grouping: each video brings its top keywords; a keyword found in more than
``COMMON_SHARE`` of a topic's videos (``music``, ``official``) says nothing and is ignored
once a topic has ``COMMON_MIN_VIDEOS``; videos sharing any other keyword join one group
(connected components). A group is named by its keyword held by most of its videos (then
the longer phrase, "foldable phone" before "foldable", then by their summed score, then
alphabetically).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from chalicelib.trends.videos import Video

LIKE_WEIGHT: Final = 20.0
COMMENT_WEIGHT: Final = 100.0
# Two snapshots closer than this say nothing reliable about speed.
MIN_INTERVAL_HOURS: Final = 0.25
# A video is at least this old when its views per hour are computed.
MIN_AGE_HOURS: Final = 1.0
COMMON_SHARE: Final = 0.5
COMMON_MIN_VIDEOS: Final = 10
# Keywords a trend lists besides its name.
TREND_KEYWORDS: Final = 5


@dataclass(frozen=True)
class Snapshot:
    """A video's counts as one run saw them."""

    taken_at: datetime
    views: int
    likes: int | None = None
    comments: int | None = None


@dataclass(frozen=True)
class Engagement:
    video_id: str
    age_hours: float
    views_per_hour: float
    like_rate: float | None
    comment_rate: float | None
    # Views per hour between two runs (None: no usable previous snapshot).
    velocity: float | None
    score: float

    @property
    def speed(self) -> float:
        """What the score used: the velocity, else the lifetime views per hour."""
        return self.velocity if self.velocity is not None else self.views_per_hour


def _rate(count: int | None, views: int) -> float | None:
    if count is None:
        return None
    return count / views if views else 0.0


def engagement(video: Video, now: datetime, previous: Snapshot | None) -> Engagement:
    """The video's engagement at ``now`` (the run's time), against its previous snapshot."""
    stats = video.statistics
    age = max((now - video.snippet.published_at).total_seconds() / 3600, MIN_AGE_HOURS)
    views_per_hour = stats.view_count / age
    velocity = None
    if previous is not None:
        hours = (now - previous.taken_at).total_seconds() / 3600
        if hours >= MIN_INTERVAL_HOURS and stats.view_count >= previous.views:
            velocity = (stats.view_count - previous.views) / hours
    like_rate = _rate(stats.like_count, stats.view_count)
    comment_rate = _rate(stats.comment_count, stats.view_count)
    factor = 1 + LIKE_WEIGHT * (like_rate or 0.0) + COMMENT_WEIGHT * (comment_rate or 0.0)
    speed = velocity if velocity is not None else views_per_hour
    return Engagement(
        video_id=video.id,
        age_hours=age,
        views_per_hour=views_per_hour,
        like_rate=like_rate,
        comment_rate=comment_rate,
        velocity=velocity,
        score=math.log10(1 + speed) * factor,
    )


@dataclass(frozen=True)
class Scored:
    """A video of a topic with its engagement and keywords."""

    video: Video
    engagement: Engagement
    keywords: tuple[str, ...]


@dataclass
class Trend:
    keyword: str
    keywords: tuple[str, ...]
    members: list[Scored] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(m.engagement.score for m in self.members)


class _Groups:
    """Union-find over video indexes."""

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, item: int) -> int:
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]
            item = self._parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        self._parent[self.find(a)] = self.find(b)


def _name(members: list[Scored], ignored: set[str]) -> tuple[str, tuple[str, ...]]:
    held = Counter(k for m in members for k in set(m.keywords) if k not in ignored)
    weight: dict[str, float] = {}
    for member in members:
        for keyword in set(member.keywords):
            weight[keyword] = weight.get(keyword, 0.0) + member.engagement.score
    ordered = sorted(held, key=lambda k: (-held[k], -len(k.split()), -weight[k], k))
    if not ordered:  # every keyword was common (or none was found): the best title
        best = max(members, key=lambda m: m.engagement.score)
        return best.video.snippet.title.lower(), ()
    return ordered[0], tuple(ordered[:TREND_KEYWORDS])


def rank_trends(scored: list[Scored]) -> list[Trend]:
    """Group a topic's videos into trends and rank them (see the module)."""
    if not scored:
        return []
    frequency = Counter(k for s in scored for k in set(s.keywords))
    common = (
        {k for k, n in frequency.items() if n / len(scored) > COMMON_SHARE}
        if len(scored) >= COMMON_MIN_VIDEOS
        else set()
    )
    groups = _Groups(len(scored))
    first_holder: dict[str, int] = {}
    for index, item in enumerate(scored):
        for keyword in item.keywords:
            if keyword in common:
                continue
            if keyword in first_holder:
                groups.union(index, first_holder[keyword])
            else:
                first_holder[keyword] = index
    components: dict[int, list[Scored]] = {}
    for index, item in enumerate(scored):
        components.setdefault(groups.find(index), []).append(item)
    trends = []
    for members in components.values():
        members.sort(key=lambda m: (-m.engagement.score, m.video.id))
        keyword, keywords = _name(members, common)
        trends.append(Trend(keyword, keywords, members))
    trends.sort(key=lambda t: (-t.score, t.keyword))
    return trends
