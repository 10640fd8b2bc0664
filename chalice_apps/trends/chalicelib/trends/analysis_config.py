"""The analysis' settings as the program hands them over (``env.ANALYSIS_CONFIG``): the
stack's ``trends`` namespace (``infra/systems/trends/settings.py`` validates it first)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# What videos.list allows in one page.
MAX_PAGE_SIZE = 50


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class TopicConfig(_Camel):
    """A topic category (seed 002 §10.1): the YouTube categories whose charts feed it and,
    when given, the words a video's title, tags or description must contain (YouTube has no
    "finance" category: finance videos are found among News, Education, People & Blogs)."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9-]*$")
    category_ids: tuple[str, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = ()


class AnalysisConfig(_Camel):
    topics: tuple[TopicConfig, ...] = Field(min_length=1)
    # ISO 3166-1 alpha-2 regions whose charts are read.
    regions: tuple[str, ...] = Field(min_length=1)
    # Pages read per chart (the chart holds about 200 videos: 4 pages of 50).
    max_pages: int = Field(ge=1, le=10)
    page_size: int = Field(ge=1, le=MAX_PAGE_SIZE)
    # The YouTube quota units every caller of this stack may spend per Pacific day.
    quota_units_per_day: int = Field(ge=1)
    # Trends kept per topic and run.
    trends_per_topic: int = Field(ge=1, le=100)
    # Keywords extracted per video (the grouping uses them).
    keywords_per_video: int = Field(ge=1, le=20)
    # Snapshots and trends are deleted (TTL) this long after their run.
    retention_days: int = Field(ge=1, le=3650)
