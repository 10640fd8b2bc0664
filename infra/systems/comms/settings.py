"""comms' settings namespace (``serverless-fleet:comms``); the defaults are seed 004's."""

from __future__ import annotations

from pydantic import Field

from infra.settings import QueueSettings, SystemSettings


class CommsSettings(SystemSettings):
    # How long a warm router keeps a company's config before reading it again.
    config_cache_seconds: int = Field(default=60, ge=0, le=3600)
    # Seed 004: visibility 600 s, maxReceiveCount 3, DLQ retention 14 days.
    channel_queue: QueueSettings = QueueSettings(
        visibility_timeout_seconds=600, max_receive_count=3, dlq_retention_days=14
    )
    # How often a processor's heartbeat extends its message's visibility.
    heartbeat_interval_seconds: int = Field(default=30, ge=5, le=3600)
