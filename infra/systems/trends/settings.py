"""trends' settings namespace (``serverless-fleet:trends``); defaults are seed 002's."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import EmailStr, Field, field_validator

from infra.settings import CamelModel, SystemSettings
from infra.systems.trends.pipeline_settings import VideoPipelineSettings

SCHEDULE = r"^(rate|cron)\(.+\)$"


class TopicSettings(CamelModel):
    """A topic category (seed 002 §10.1): the YouTube categories whose mostPopular charts
    feed it and, when given, words a video must contain to belong to it."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9-]*$")
    category_ids: list[str] = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)


# YouTube has categories for education (27), technology (28) and travel (19); health,
# investing and finance videos are found by their words among the broader ones (Howto &
# Style 26, People & Blogs 22, News & Politics 25, Education 27).
DEFAULT_TOPICS = [
    TopicSettings(name="education", category_ids=["27"]),
    TopicSettings(
        name="investing",
        category_ids=["25", "22", "27"],
        keywords=[
            "invest",
            "stock",
            "etf",
            "dividend",
            "portfolio",
            "index fund",
            "crypto",
            "bitcoin",
        ],
    ),
    TopicSettings(name="tourism", category_ids=["19"]),
    TopicSettings(name="technology", category_ids=["28"]),
    TopicSettings(
        name="health",
        category_ids=["26", "22", "27"],
        keywords=[
            "health",
            "fitness",
            "workout",
            "nutrition",
            "diet",
            "sleep",
            "wellness",
            "medical",
        ],
    ),
    TopicSettings(
        name="finance",
        category_ids=["25", "22", "27"],
        keywords=[
            "finance",
            "money",
            "budget",
            "tax",
            "mortgage",
            "inflation",
            "economy",
            "saving",
        ],
    ),
]


class TrendsSettings(SystemSettings):
    topics: list[TopicSettings] = Field(default=DEFAULT_TOPICS, min_length=1)
    regions: list[str] = Field(default=["US"], min_length=1)
    # A chart holds about 200 videos: four pages of 50.
    max_pages: int = Field(default=4, ge=1, le=10)
    page_size: int = Field(default=50, ge=1, le=50)
    # YouTube's default project quota; every caller of the stack shares it (part 2's uploads
    # too), counted per Pacific day.
    quota_units_per_day: int = Field(default=10_000, ge=1, le=10_000_000)
    trends_per_topic: int = Field(default=10, ge=1, le=100)
    keywords_per_video: int = Field(default=8, ge=1, le=20)
    retention_days: int = Field(default=90, ge=1, le=3650)
    # Seed 002 §6.1: the daily analysis at 8 AM New York time (EventBridge Scheduler, so
    # daylight saving is followed); the zone is an IANA name.
    analysis_schedule: str = Field(default="cron(0 8 * * ? *)", pattern=SCHEDULE)
    schedule_timezone: str = "America/New_York"
    # The "no successful analysis" alarm fires after this many hours without one.
    stale_after_hours: int = Field(default=26, ge=2, le=72)
    video_pipeline: VideoPipelineSettings = VideoPipelineSettings()
    # Part 2, the video pipeline. The AWS Budget of ``videoPipeline.monthlyBudgetUsd``
    # alerts the alerts topic, and these addresses too (Budgets allows ten e-mail
    # subscribers per notification).
    budget_alert_emails: list[EmailStr] = Field(default_factory=list, max_length=10)
    # Clips, narration and render intermediates (``work/``) are only needed for a night's
    # retries; finished videos (``videos/``) move to Standard-IA, which S3 allows after 30
    # days at the earliest.
    intermediate_retention_days: int = Field(default=7, ge=1, le=90)
    finals_infrequent_access_days: int = Field(default=30, ge=30, le=3650)

    @field_validator("schedule_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @field_validator("topics")
    @classmethod
    def _distinct(cls, value: list[TopicSettings]) -> list[TopicSettings]:
        names = [t.name for t in value]
        if len(set(names)) != len(names):
            raise ValueError("topic names repeat")
        return value
