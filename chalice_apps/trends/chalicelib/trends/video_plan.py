"""A night's plan (seed 002 §4, §7.2, §8.2): which videos to make, within the month's budget.

Candidates are each enabled topic's best trends of its latest ranking, as many as the topic's
``videos_per_day``, best score first across topics, at most ``videos_per_night``. Each is
priced with the configuration's estimate (``pricing``); videos are kept while the month's
spend plus their estimates stays within the budget. The state machine's Choice state then
refuses to start anything when even one video would pass it: the plan says so in numbers
(``budget``), so the refusal is the state machine's, visible in its history.

A night is identified by its date in New York (the schedule's zone), so starting the same
night twice plans no video twice: a video already planned is left to the first run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.trends.configuration import TrendsConfig
from chalicelib.trends.pricing import estimate
from chalicelib.trends.video_records import VideoStore

NIGHT_ZONE = ZoneInfo("America/New_York")
# What a video's prompts get of its trend: the titles of its best videos.
TITLES_PER_TREND = 5


class Rankings(Protocol):
    def latest_json(self, topic: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Budget:
    limit_usd: float
    spent_usd: float
    video_estimate_usd: float

    @property
    def remaining_usd(self) -> float:
        return max(0.0, self.limit_usd - self.spent_usd)

    def as_json(self) -> dict[str, float]:
        return {
            "limit_usd": round(self.limit_usd, 4),
            "spent_usd": round(self.spent_usd, 4),
            "remaining_usd": round(self.remaining_usd, 4),
            "video_estimate_usd": round(self.video_estimate_usd, 4),
        }


def night_of(moment: datetime) -> str:
    """The night a run belongs to: its date in New York."""
    return moment.astimezone(NIGHT_ZONE).date().isoformat()


def candidates(config: TrendsConfig, rankings: Rankings) -> list[dict[str, Any]]:
    """Every video the topics ask for, best trend score first."""
    found: list[tuple[float, dict[str, Any]]] = []
    video = config.video
    for topic in config.topics:
        if not topic.enabled or topic.videos_per_day == 0:
            continue
        for trend in rankings.latest_json(topic.name)[: topic.videos_per_day]:
            found.append(
                (
                    float(trend["score"]),
                    {
                        "topic": topic.name,
                        "keyword": trend["keyword"],
                        "keywords": trend["keywords"][:8],
                        "trend_titles": [v["title"] for v in trend["videos"][:TITLES_PER_TREND]],
                        "prompt": topic.prompt.replace("{trend}", trend["keyword"]),
                        "style": topic.style or video.style,
                        "voice": video.voice,
                        "voice_engine": video.voice_engine,
                        "resolution": video.resolution,
                        "target_seconds": int(video.typical_minutes * 60),
                        "generated_seconds": int(
                            video.typical_minutes * video.generated_seconds_per_minute
                        ),
                    },
                )
            )
    found.sort(key=lambda pair: -pair[0])
    return [video for _, video in found]


def plan_night(
    config: TrendsConfig,
    rankings: Rankings,
    store: VideoStore,
    *,
    budget_usd: float,
    videos_per_night: int,
    moment: datetime,
) -> dict[str, Any]:
    """The state machine's input for the Map: ``night``, ``videos`` (each planned in the
    table), ``budget`` and ``left_out`` (videos the budget or the night's cap left out)."""
    night = night_of(moment)
    budget = Budget(budget_usd, store.month_spend(moment), estimate(config).video_total)
    chosen: list[dict[str, Any]] = []
    left_out: list[dict[str, str]] = []
    committed = budget.spent_usd
    for n, video in enumerate(candidates(config, rankings)):
        reason = None
        if len(chosen) >= videos_per_night:
            reason = "the night's cap"
        elif committed + budget.video_estimate_usd > budget.limit_usd:
            reason = "the month's budget"
        if reason:
            left_out.append({"topic": video["topic"], "keyword": video["keyword"], "by": reason})
            continue
        video_id = f"{night}-{video['topic']}-{n + 1}"
        planned = {
            **video,
            "video_id": video_id,
            "night": night,
            "estimate_usd": budget.video_estimate_usd,
        }
        if store.plan(planned, moment):
            chosen.append(planned)
            committed += budget.video_estimate_usd
    return {"night": night, "videos": chosen, "budget": budget.as_json(), "left_out": left_out}
