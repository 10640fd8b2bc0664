"""patches' settings namespace (``serverless-fleet:patches``); defaults are seed 001's."""

from __future__ import annotations

from pydantic import Field

from infra.settings import QueueSettings, SystemSettings

SCHEDULE = r"^(rate|cron)\(.+\)$"
LIMIT = r"^[0-9]+/(second|minute|hour)$"


class PatchesSettings(SystemSettings):
    # The Patchwork projects (link names on patchwork.kernel.org) to track.
    projects: list[str] = Field(default=["linux-kselftest"], min_length=1)
    # Seed 001 §1.5: hourly recent patches, the daily full refresh at 03:00 UTC, the weekly
    # discussion refresh on Sundays (EventBridge expressions).
    recent_schedule: str = Field(default="rate(1 hour)", pattern=SCHEDULE)
    refresh_schedule: str = Field(default="cron(0 3 * * ? *)", pattern=SCHEDULE)
    discussion_schedule: str = Field(default="cron(0 4 ? * SUN *)", pattern=SCHEDULE)
    # The hourly run: the first reaches this far back, later ones start at the cursor less
    # the overlap (patches Patchwork files late).
    first_run_lookback_hours: int = Field(default=24, ge=1, le=24 * 30)
    overlap_minutes: int = Field(default=60, ge=0, le=24 * 60)
    # The daily refresh re-reads this many days, one slice (worker invocation) per day.
    refresh_days: int = Field(default=7, ge=1, le=90)
    # The weekly refresh re-reads the threads of the patches in these states, this far back.
    discussion_refresh_days: int = Field(default=28, ge=1, le=365)
    active_states: list[str] = Field(
        default=["new", "under-review", "changes-requested", "rfc", "needs-ack"], min_length=1
    )
    # Politeness: the largest page Patchwork allows, and client-side rate limits.
    page_size: int = Field(default=250, ge=1, le=250)
    patchwork_rate_limit: str = Field(default="5/second", pattern=LIMIT)
    lore_rate_limit: str = Field(default="2/second", pattern=LIMIT)
    lore_inbox: str = Field(default="all", min_length=1)
    # The circuit breaker of each service.
    breaker_failures: int = Field(default=3, ge=1, le=100)
    breaker_cooldown_seconds: int = Field(default=300, ge=10, le=86_400)
    # Bodies larger than this go to S3.
    inline_body_max_bytes: int = Field(default=100_000, ge=1_000, le=300_000)
    # Seed 001 §1.3: the queues between the functions, DLQ after 3 receives.
    thread_queue: QueueSettings = QueueSettings(
        visibility_timeout_seconds=900, max_receive_count=3, dlq_retention_days=14
    )
    slice_queue: QueueSettings = QueueSettings(
        visibility_timeout_seconds=1800, max_receive_count=3, dlq_retention_days=14
    )
    # The "no successful hourly run" alarm fires after this many hours without one.
    stale_after_hours: int = Field(default=3, ge=2, le=24)
