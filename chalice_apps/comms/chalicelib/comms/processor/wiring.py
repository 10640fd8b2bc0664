"""Builds a channel processor's dependencies from the environment, once per warm function.

Imported by the processor handlers only, so the API handler (same package) does not load the
OpenAI and Twilio SDKs on its cold start.
"""

from __future__ import annotations

import os
from functools import cache, lru_cache

from openai import OpenAI

from chalicelib.comms import env, names
from chalicelib.comms.processor.batch import HeartbeatSettings
from chalicelib.comms.processor.credentials import TwilioCredentials
from chalicelib.comms.processor.messaging import TwilioSender, twilio_client
from chalicelib.comms.processor.service import ProcessorDeps
from chalicelib.comms.wiring import conversations, credentials
from shared.env import API_URL, require


@cache
def processor_deps() -> ProcessorDeps:
    return ProcessorDeps(
        conversations=conversations(),
        credentials=credentials(),
        openai_client=_openai_client,
        twilio_sender=_twilio_sender,
        status_callback_url=_status_callback_url(),
    )


def _status_callback_url() -> str | None:
    api_url = os.environ.get(API_URL)
    return f"{api_url.rstrip('/')}{names.TWILIO_STATUS_PATH}" if api_url else None


@cache
def heartbeat_settings() -> HeartbeatSettings:
    return HeartbeatSettings(
        queue_url=require(env.QUEUE_URL),
        interval_seconds=float(os.environ.get(env.HEARTBEAT_INTERVAL_SECONDS, "30")),
        visibility_seconds=int(require(env.VISIBILITY_TIMEOUT_SECONDS)),
    )


@lru_cache(maxsize=8)
def _openai_client(api_key: str) -> OpenAI:
    # The SDK reads OPENAI_BASE_URL itself: the local stack and tests point it at a fake.
    return OpenAI(api_key=api_key, max_retries=3, timeout=30.0)


@lru_cache(maxsize=32)
def _twilio_sender(credentials: TwilioCredentials) -> TwilioSender:
    return TwilioSender(
        twilio_client(credentials.account_sid, credentials.auth_token),
        backoff_seconds=float(os.environ.get(env.RETRY_BASE_SECONDS, "0.5")),
    )


def reset() -> None:
    """Drop every built dependency (tests)."""
    processor_deps.cache_clear()
    heartbeat_settings.cache_clear()
    _openai_client.cache_clear()
    _twilio_sender.cache_clear()
