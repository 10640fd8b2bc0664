"""mentions' settings namespace (``serverless-fleet:mentions``); defaults are seed 000's."""

from __future__ import annotations

from pydantic import Field

from infra.settings import SystemSettings


class MentionsSettings(SystemSettings):
    # How long a stored mention lives (the table's TTL).
    retention_days: int = Field(default=30, ge=1, le=3650)
    # EventBridge expression of the ingester's schedule.
    schedule: str = Field(default="rate(15 minutes)", pattern=r"^(rate|cron)\(.+\)$")
    # The MentionMind projects to copy.
    project_ids: list[str] = Field(default=["mm-demo-001"], min_length=1)
    # The first run of a project reaches this far back; later runs start at the cursor less
    # the overlap (mentions the service files late), and take at most max_window_hours.
    first_run_lookback_hours: int = Field(default=24, ge=1, le=24 * 90)
    overlap_minutes: int = Field(default=10, ge=0, le=24 * 60)
    max_window_hours: int = Field(default=24, ge=1, le=24 * 31)
    # The "no successful run" alarm fires after this many hours without one.
    stale_after_hours: int = Field(default=6, ge=1, le=24)
