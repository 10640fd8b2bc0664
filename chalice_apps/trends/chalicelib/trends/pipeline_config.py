"""The video pipeline's settings as the program hands them over (``env.PIPELINE_CONFIG``):
the stack's ``trends.videoPipeline`` settings (``infra/systems/trends/pipeline_settings.py``
validates them first). What people edit per topic (prompts, length, voice) is the
configuration (``configuration.TrendsConfig``), read from its table at each night's start.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# Every chunk of a resumable upload but the last is a multiple of this (YouTube's rule).
UPLOAD_CHUNK_UNIT = 256 * 1024


class PipelineConfig(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    # Bedrock: the script writer (Converse) and the text-to-video model (async invoke).
    text_model_id: str = Field(min_length=1)
    video_model_id: str = Field(min_length=1)
    # Luma Ray2 makes 5 s or 9 s clips.
    scene_seconds: Literal[5, 9] = 5
    # A clip job that fails is started again this many times in all before the video falls
    # back to narration over a plain picture.
    clip_attempts: int = Field(default=2, ge=1, le=5)
    # The clip check runs every ``clipPollSeconds`` (a Wait state) at most this many times.
    clip_poll_limit: int = Field(default=60, ge=1, le=1000)
    # Videos one night may start, whatever the topics ask for.
    videos_per_night: int = Field(default=3, ge=1, le=50)
    monthly_budget_usd: float = Field(gt=0)
    # Polly's synchronous limit; longer narration goes through a synthesis task to S3.
    sync_speech_characters: int = Field(default=3000, ge=100, le=3000)
    upload_chunk_bytes: int = Field(default=32 * UPLOAD_CHUNK_UNIT, ge=UPLOAD_CHUNK_UNIT)
    privacy_status: Literal["private", "unlisted", "public"] = "private"
    # YouTube's category for the uploads (27: Education).
    youtube_category_id: str = "27"
    # The project's YouTube quota, shared with the analysis (counted per Pacific day).
    youtube_quota_units_per_day: int = Field(default=10_000, ge=1)
