"""The stack's settings, read from ``Pulumi.<stack>.yaml`` and validated in one place.

A missing or malformed value stops the program before any resource is declared, with the
key's name in the message.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from pydantic.alias_generators import to_camel

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class ApiThrottle(_Camel):
    burst_limit: int = Field(gt=0)
    rate_limit: float = Field(gt=0)


class ApiQuota(_Camel):
    limit: int = Field(gt=0)
    period: Literal["DAY", "WEEK", "MONTH"]


class QueueSettings(_Camel):
    visibility_timeout_seconds: int = Field(ge=0, le=43200)
    max_receive_count: int = Field(ge=1, le=1000)
    dlq_retention_days: int = Field(ge=1, le=14)
    message_retention_days: int = Field(default=4, ge=1, le=14)


class MentionsSettings(_Camel):
    """The mentions ingester (seed 000)."""

    # How long a stored mention lives (the table's TTL).
    retention_days: int = Field(ge=1, le=3650)
    # EventBridge expression of the ingester's schedule.
    schedule: str = Field(pattern=r"^(rate|cron)\(.+\)$")
    # The MentionMind projects to copy.
    project_ids: list[str] = Field(min_length=1)
    # The first run of a project reaches this far back; later runs start at the cursor less
    # the overlap (mentions the service files late), and take at most max_window_hours.
    first_run_lookback_hours: int = Field(ge=1, le=24 * 90)
    overlap_minutes: int = Field(ge=0, le=24 * 60)
    max_window_hours: int = Field(ge=1, le=24 * 31)
    # The "no successful run" alarm fires after this many hours without one.
    stale_after_hours: int = Field(ge=1, le=24)


class StackSettings(_Camel):
    stack: str
    region: str
    log_level: LogLevel
    log_retention_days: int
    lambda_memory_mb: int | None = Field(default=None, ge=128, le=10240)
    api_throttle: ApiThrottle
    api_quota: ApiQuota
    alarm_email: EmailStr
    protect_data: bool
    config_cache_seconds: int = Field(ge=0, le=3600)
    channel_queue: QueueSettings
    heartbeat_interval_seconds: int = Field(ge=5, le=3600)
    mentions: MentionsSettings
    secrets_cache_seconds: int = Field(ge=0, le=3600)


def _decode(raw: str) -> Any:
    """Pulumi hands structured values over as JSON text and scalars as plain text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_settings() -> StackSettings:
    """Read every field of ``StackSettings`` from the current stack's config.

    Raises:
        pydantic.ValidationError: a key is missing or invalid (the message names it).
    """
    config = pulumi.Config()
    values: dict[str, Any] = {
        "stack": pulumi.get_stack(),
        "region": pulumi.Config("aws").require("region"),
    }
    for name, field in StackSettings.model_fields.items():
        alias = field.alias or name
        if name in values:
            continue
        raw = config.get(alias)
        if raw is not None:
            values[alias] = _decode(raw)
    return StackSettings.model_validate(values)
