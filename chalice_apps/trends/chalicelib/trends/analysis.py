"""The daily trend analysis: per configured topic, read the mostPopular charts of its YouTube
categories in every region, keep the videos that match the topic, score them against their
previous snapshots, group and rank them (``ranking.py``), store the snapshots and the
ranking.

Why it is safe to run again: every item is keyed by the run's time, the time its schedule
meant (``run_moment``), so a retried invocation rewrites its own items and a run by hand
writes a ranking of its own, never half of another's; a topic's ranking is written only once
all its charts were read. A run that meets the quota (our budget or YouTube's) stops
cleanly: the topics ranked so far stay, the others are reported ``quota_exhausted``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.trends.analysis_config import AnalysisConfig, TopicConfig
from chalicelib.trends.exceptions import ChartNotFoundError, QuotaStopError
from chalicelib.trends.keywords import extract_keywords
from chalicelib.trends.ranking import Scored, engagement, rank_trends
from chalicelib.trends.repositories import TrendRepository, VideoRepository
from chalicelib.trends.videos import Video
from chalicelib.trends.youtube import ApiCall, YouTubeClient

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

RANKED = "ranked"
QUOTA_EXHAUSTED = "quota_exhausted"


@dataclass
class AnalysisDeps:
    youtube: YouTubeClient
    videos: VideoRepository
    trends: TrendRepository
    config: AnalysisConfig
    log: Logger
    keywords: Callable[[Video, int], list[str]] = field(
        default=lambda video, top: extract_keywords(
            video.snippet.title, video.snippet.tags, video.snippet.description, top
        )
    )


def observe_api_calls(metrics: Metrics, log: Logger) -> Callable[[ApiCall], None]:
    """Per call (retries included): ``YouTubeApiCalls``/``ApiLatency``/``ApiErrors``, and a
    structured audit line (method, attempts, status, reason, time; never a credential)."""

    def observe(call: ApiCall) -> None:
        log.info(
            "youtube call",
            extra={
                "method": call.method,
                "attempts": call.attempts,
                "status": call.status,
                "reason": call.reason,
                "ms": round(call.seconds * 1000, 1),
            },
        )
        metrics.add_metric("YouTubeApiCalls", MetricUnit.Count, 1)
        metrics.add_metric(
            "YouTubeApiLatency", MetricUnit.Milliseconds, round(call.seconds * 1000, 1)
        )
        metrics.add_metric("YouTubeApiErrors", MetricUnit.Count, 1 if call.failed else 0)

    return observe


def matches(topic: TopicConfig, video: Video) -> bool:
    """A video belongs to a topic when the topic names no words, or when its title, tags or
    description holds one of them at the start of a word (``invest`` finds "investing")."""
    if not topic.keywords:
        return True
    text = video.text.lower()
    return any(re.search(rf"\b{re.escape(word.lower())}", text) for word in topic.keywords)


class _Run:
    """One analysis: the charts read once each (topics share categories), what was found."""

    def __init__(self, deps: AnalysisDeps, now: datetime) -> None:
        self.deps = deps
        self.now = now
        self.charts: dict[tuple[str, str], list[Video]] = {}
        self.categories: dict[str, set[str]] = {}
        self.invalid = 0
        self.scanned: set[str] = set()

    def chart(self, region: str, category_id: str) -> list[Video]:
        key = (region, category_id)
        if key not in self.charts:
            config = self.deps.config
            videos: list[Video] = []
            try:
                for page in self.deps.youtube.most_popular(
                    region, category_id, page_size=config.page_size, max_pages=config.max_pages
                ):
                    videos += page.videos
                    for video_id, reason in page.invalid:
                        self.invalid += 1
                        self.deps.log.warning(
                            "video skipped", video_id=video_id, reason=reason, region=region
                        )
            except ChartNotFoundError:
                self.deps.log.info("no chart", region=region, category_id=category_id)
            self.charts[key] = videos
        return self.charts[key]

    def topic(self, topic: TopicConfig) -> dict[str, Any]:
        """Read, score, rank and store one topic; returns its line of the report."""
        candidates: dict[str, tuple[Video, str]] = {}
        for region in self.deps.config.regions:
            for category_id in topic.category_ids:
                if category_id not in self.categories[region]:
                    self.deps.log.warning(
                        "no such category in region", category_id=category_id, region=region
                    )
                    continue
                for video in self.chart(region, category_id):
                    if matches(topic, video):
                        candidates.setdefault(video.id, (video, region))
        top = self.deps.config.keywords_per_video
        scored = [
            Scored(
                video,
                engagement(video, self.now, self.deps.videos.previous_snapshot(video.id, self.now)),
                tuple(self.deps.keywords(video, top)),
            )
            for video, _region in candidates.values()
        ]
        trends = rank_trends(scored)[: self.deps.config.trends_per_topic]
        self.deps.videos.store_snapshots(
            self.now, {v: region for v, (_video, region) in candidates.items()}, scored
        )
        self.deps.trends.store_ranking(topic.name, self.now, trends)
        self.scanned.update(candidates)
        return {
            "status": RANKED,
            "videos": len(scored),
            "trends": len(trends),
            "top": trends[0].keyword if trends else None,
        }


# A scheduled time further from the clock than this is not trusted as the run's time.
MAX_SCHEDULE_SKEW = timedelta(hours=24)


def run_moment(event: dict[str, Any], now: datetime) -> datetime:
    """The run's time: the time the schedule meant (``scheduled_time``, the same on every
    retry of one invocation, so a retried run rewrites its own items instead of adding a
    second ranking), else ``now`` (an invocation by hand)."""
    value = event.get("scheduled_time") if isinstance(event, dict) else None
    try:
        meant = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        meant = None
    if meant is None or meant.tzinfo is None or abs(now - meant) > MAX_SCHEDULE_SKEW:
        return now
    return meant


def analyze(deps: AnalysisDeps, now: datetime, metrics: Metrics) -> dict[str, Any]:
    """The run's report: each topic's outcome, the quota spent, why it stopped if it did.

    Raises:
        YouTubeUnavailableError, RequestRejectedError, DatabaseError: the run fails (the
            topics ranked before stay); the schedule's retries run it again.
    """
    run = _Run(deps, now)
    topics: dict[str, dict[str, Any]] = {}
    stopped: str | None = None
    try:
        for region in deps.config.regions:
            run.categories[region] = {c.id for c in deps.youtube.video_categories(region)}
        for topic in deps.config.topics:
            topics[topic.name] = run.topic(topic)
    except QuotaStopError as err:
        stopped = str(err)
        deps.log.warning("quota stop: the run ends here", reason=stopped)
        for topic in deps.config.topics:
            topics.setdefault(topic.name, {"status": QUOTA_EXHAUSTED})
    ranked = sum(1 for t in topics.values() if t["status"] == RANKED)
    metrics.add_metric("VideosScanned", MetricUnit.Count, len(run.scanned))
    metrics.add_metric("InvalidVideos", MetricUnit.Count, run.invalid)
    metrics.add_metric("TopicsRanked", MetricUnit.Count, ranked)
    metrics.add_metric("QuotaUnitsUsed", MetricUnit.Count, deps.youtube.quota.spent)
    metrics.add_metric("QuotaStops", MetricUnit.Count, 1 if stopped else 0)
    metrics.add_metric("SuccessfulRuns", MetricUnit.Count, 0 if stopped else 1)
    report = {
        "topics": topics,
        "videos": len(run.scanned),
        "invalid_videos": run.invalid,
        "quota_units": deps.youtube.quota.spent,
        "stopped": stopped,
    }
    deps.log.info("analysis done", extra=report)
    return report
