"""What each of comms' functions is given by the Pulumi program, as one validated model per
function (``shared.settings``): the API handler's and the channel processors' (the three get
the same variables, each with its own queue's values).

A module of its own so the wiring imports pydantic on a function's first use, not on the
import every function's cold start pays (bench/router_bench.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, Json, field_validator

from chalicelib.comms import env
from shared.env import API_URL, SECRETS_CACHE_SECONDS
from shared.settings import FunctionSettings

DEFAULT_CONFIG_CACHE_SECONDS = 60.0
DEFAULT_SECRETS_CACHE_SECONDS = 300


class ApiSettings(FunctionSettings):
    """The API handler's environment: the router and the providers' delivery reports. It is
    given no OpenAI secret (only the processors write messages)."""

    company_data_table: str = Field(min_length=1, validation_alias=env.COMPANY_DATA_TABLE)
    channel_queue_urls: Json[dict[str, str]] = Field(validation_alias=env.CHANNEL_QUEUE_URLS)
    config_cache_seconds: float = Field(
        default=DEFAULT_CONFIG_CACHE_SECONDS, ge=0, validation_alias=env.CONFIG_CACHE_SECONDS
    )
    conversations_table: str = Field(min_length=1, validation_alias=env.CONVERSATIONS_TABLE)
    secrets_cache_seconds: int = Field(
        default=DEFAULT_SECRETS_CACHE_SECONDS, ge=0, validation_alias=SECRETS_CACHE_SECONDS
    )


class ProcessorSettings(FunctionSettings):
    """A channel processor's environment. The providers' addresses and timeout are set by
    tests and the local stack only: unset (or empty) in AWS, where the real APIs and each
    provider module's own timeout apply."""

    conversations_table: str = Field(min_length=1, validation_alias=env.CONVERSATIONS_TABLE)
    queue_url: str = Field(min_length=1, validation_alias=env.QUEUE_URL)
    dlq_url: str = Field(min_length=1, validation_alias=env.DLQ_URL)
    visibility_timeout_seconds: int = Field(gt=0, validation_alias=env.VISIBILITY_TIMEOUT_SECONDS)
    heartbeat_interval_seconds: float = Field(
        default=30.0, gt=0, validation_alias=env.HEARTBEAT_INTERVAL_SECONDS
    )
    openai_secret_name: str = Field(min_length=1, validation_alias=env.OPENAI_SECRET_NAME)
    secrets_cache_seconds: int = Field(
        default=DEFAULT_SECRETS_CACHE_SECONDS, ge=0, validation_alias=SECRETS_CACHE_SECONDS
    )
    # The app's API, for Twilio's status callback URL; None before the API exists.
    api_url: str | None = Field(default=None, validation_alias=API_URL)
    retry_base_seconds: float = Field(default=0.5, ge=0, validation_alias=env.RETRY_BASE_SECONDS)
    provider_timeout_seconds: float | None = Field(
        default=None, gt=0, validation_alias=env.PROVIDER_TIMEOUT_SECONDS
    )
    sendgrid_api_base_url: str | None = Field(
        default=None, validation_alias=env.SENDGRID_API_BASE_URL
    )
    twilio_api_base_url: str | None = Field(default=None, validation_alias=env.TWILIO_API_BASE_URL)

    @field_validator(
        "api_url",
        "provider_timeout_seconds",
        "sendgrid_api_base_url",
        "twilio_api_base_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """An empty variable means the default, as it did when these were read with ``or``."""
        return None if value == "" else value
