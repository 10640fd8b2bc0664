"""trends' video pipeline settings (``serverless-fleet:trends`` ``videoPipeline``): seed 002
§4-8's defaults. The functions get what they read as ``pipeline_config.PipelineConfig``; the
state machine's definition takes the rest (concurrency, waits, retries, timeouts)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from infra.settings import CamelModel

SCHEDULE = r"^(rate|cron)\(.+\)$"


class VideoPipelineSettings(CamelModel):
    # Seed 002 §6.1: video generation at 2 AM New York time (the analysis' zone).
    generation_schedule: str = Field(default="cron(0 2 * * ? *)", pattern=SCHEDULE)
    # Videos made at once (the Map's MaxConcurrency) and at most per night.
    max_concurrency: int = Field(default=3, ge=1, le=40)
    videos_per_night: int = Field(default=3, ge=1, le=50)
    # Seed 002 §7.2, §8.2: the month's spend the pipeline keeps within (US dollars); AWS
    # Budgets alerts at 80 % and 100 % of it. A video of the configuration's defaults (7.5
    # minutes, 75 s of 720p clips) is estimated at about $113, nearly all of it the clips:
    # the default pays for about eight a month; raise it on purpose.
    monthly_budget_usd: float = Field(default=1000.0, gt=0, le=1_000_000)
    text_model_id: str = Field(default="global.amazon.nova-2-lite-v1:0", min_length=1)
    # Nova Reel reached its end of life on 2026-09-30; Luma Ray2 is the default.
    video_model_id: str = Field(default="luma.ray-v2:0", min_length=1)
    scene_seconds: Literal[5, 9] = 5
    clip_attempts: int = Field(default=2, ge=1, le=5)
    # The clips are looked at every clip_poll_seconds, at most clip_poll_limit times.
    clip_poll_seconds: int = Field(default=30, ge=1, le=600)
    clip_poll_limit: int = Field(default=60, ge=1, le=1000)
    # Every task's Retry: the first wait, doubled at each attempt.
    retry_interval_seconds: int = Field(default=2, ge=1, le=300)
    retry_attempts: int = Field(default=3, ge=1, le=10)
    render_timeout_seconds: int = Field(default=3600, ge=60, le=86_400)
    # Uploads at once, whatever else runs (reserved concurrency of the upload function):
    # YouTube's quota and a channel's upload limits are per project, not per function.
    upload_concurrency: int = Field(default=2, ge=1, le=20)
    privacy_status: Literal["private", "unlisted", "public"] = "private"
