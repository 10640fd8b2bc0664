"""Builds a channel processor's dependencies from the environment, once per warm function.

Imported by the processor handlers only, so the API handler (same package) does not load the
OpenAI SDK on its cold start. Each provider's module is imported when its first sender is
built: the e-mail processor never loads Twilio's SDK, WhatsApp's and SMS's never SendGrid's
client.
"""

from __future__ import annotations

import os
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import requests
from openai import OpenAI

from chalicelib.comms import env, names
from chalicelib.comms.batch import OwnQueue
from chalicelib.comms.context_object import ContextObject
from chalicelib.comms.conversations import ConversationKey
from chalicelib.comms.credentials import SendGridCredentials, TwilioCredentials
from chalicelib.comms.outbound import Outbound
from chalicelib.comms.sending import ProcessorDeps
from chalicelib.comms.wiring import conversations, credentials
from shared.env import API_URL, require

if TYPE_CHECKING:
    from chalicelib.comms.mail import SendGridSender
    from chalicelib.comms.messaging import TwilioSender


@cache
def processor_deps() -> ProcessorDeps:
    return ProcessorDeps(
        conversations=conversations(),
        credentials=credentials(),
        openai_client=_openai_client,
        outbound=_outbound,
    )


def _outbound(channel: str, context: ContextObject, key: ConversationKey) -> Outbound:
    """The channel's provider for one conversation, with the company's sender and
    credentials (``ProcessorDeps.outbound``)."""
    config = context.channel_config(channel)
    if channel == "email":
        from chalicelib.comms.mail import MailOutbound

        return MailOutbound(
            _sendgrid_sender(credentials().sendgrid(config.credentials_id)),
            config,
            key,
            context.frontend_payload.recipient_data.full_name(),
        )
    from chalicelib.comms.messaging import TwilioOutbound, status_callback_url

    return TwilioOutbound(
        _twilio_sender(credentials().twilio(config.credentials_id)),
        channel,
        config,
        key.primary_channel,
        status_callback_url(_status_route_url(), key),
    )


def _status_route_url() -> str | None:
    api_url = os.environ.get(API_URL)
    return f"{api_url.rstrip('/')}{names.TWILIO_STATUS_PATH}" if api_url else None


@cache
def own_queue() -> OwnQueue:
    return OwnQueue(
        queue_url=require(env.QUEUE_URL),
        interval_seconds=float(os.environ.get(env.HEARTBEAT_INTERVAL_SECONDS, "30")),
        visibility_seconds=int(require(env.VISIBILITY_TIMEOUT_SECONDS)),
        dlq_url=require(env.DLQ_URL),
    )


def _backoff_seconds() -> float:
    return float(os.environ.get(env.RETRY_BASE_SECONDS, "0.5"))


def _timeout_seconds(default: float) -> float:
    value = os.environ.get(env.PROVIDER_TIMEOUT_SECONDS)
    return float(value) if value else default


@lru_cache(maxsize=8)
def _openai_client(api_key: str) -> OpenAI:
    # The SDK reads OPENAI_BASE_URL itself: the local stack and tests point it at a fake.
    # ai.py retries, and sets each call's timeout from the invocation's budget.
    return OpenAI(api_key=api_key, max_retries=0)


@lru_cache(maxsize=32)
def _twilio_sender(credentials: TwilioCredentials) -> TwilioSender:
    from chalicelib.comms.messaging import TIMEOUT_SECONDS, TwilioSender, twilio_client

    client = twilio_client(
        credentials.account_sid, credentials.auth_token, _timeout_seconds(TIMEOUT_SECONDS)
    )
    return TwilioSender(
        client,
        backoff_seconds=_backoff_seconds(),
        timeout_seconds=_timeout_seconds(TIMEOUT_SECONDS),
    )


@lru_cache(maxsize=32)
def _sendgrid_sender(credentials: SendGridCredentials) -> SendGridSender:
    from chalicelib.comms.mail import TIMEOUT_SECONDS, SendGridSender

    return SendGridSender(
        requests.Session(),
        credentials.api_key,
        backoff_seconds=_backoff_seconds(),
        timeout_seconds=_timeout_seconds(TIMEOUT_SECONDS),
    )


def reset() -> None:
    """Drop every built dependency (tests)."""
    processor_deps.cache_clear()
    own_queue.cache_clear()
    _openai_client.cache_clear()
    _twilio_sender.cache_clear()
    _sendgrid_sender.cache_clear()
