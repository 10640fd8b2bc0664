"""Builds a channel processor's dependencies from its settings (``settings.ProcessorSettings``),
once per warm function.

Imported by the processor handlers only, so the API handler (same package) does not load the
OpenAI SDK on its cold start. Each provider's module is imported when its first sender is
built: the e-mail processor never loads Twilio's SDK, WhatsApp's and SMS's never SendGrid's
client.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING

import requests
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from openai import OpenAI

from chalicelib.comms import names
from chalicelib.comms.batch import OwnQueue
from chalicelib.comms.context_object import ContextObject
from chalicelib.comms.conversations import ConversationKey, ConversationRepository
from chalicelib.comms.credentials import Credentials, SendGridCredentials, TwilioCredentials
from chalicelib.comms.outbound import Outbound
from chalicelib.comms.sending import ProcessorDeps
from chalicelib.comms.settings import ProcessorSettings
from shared import aws
from shared.settings import from_environment

if TYPE_CHECKING:
    from chalicelib.comms.mail import SendGridSender
    from chalicelib.comms.messaging import TwilioSender


@cache
def processor_settings() -> ProcessorSettings:
    """Raises ConfigurationError naming every missing or invalid variable."""
    return from_environment(ProcessorSettings)


@cache
def credentials() -> Credentials:
    """The processor's secrets: its OpenAI key and each company's provider credentials."""
    settings = processor_settings()
    return Credentials(
        SecretsProvider(boto3_client=aws.secretsmanager()),
        openai_secret=settings.openai_secret_name,
        max_age=settings.secrets_cache_seconds,
    )


@cache
def processor_deps() -> ProcessorDeps:
    table = aws.dynamodb().Table(processor_settings().conversations_table)
    return ProcessorDeps(
        conversations=ConversationRepository(table),
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
    api_url = processor_settings().api_url
    return f"{api_url.rstrip('/')}{names.TWILIO_STATUS_PATH}" if api_url else None


@cache
def own_queue() -> OwnQueue:
    settings = processor_settings()
    return OwnQueue(
        queue_url=settings.queue_url,
        interval_seconds=settings.heartbeat_interval_seconds,
        visibility_seconds=settings.visibility_timeout_seconds,
        dlq_url=settings.dlq_url,
    )


def _timeout_seconds(default: float) -> float:
    """The provider module's own timeout unless the settings shorten it (tests)."""
    return processor_settings().provider_timeout_seconds or default


@lru_cache(maxsize=8)
def _openai_client(api_key: str) -> OpenAI:
    # The SDK reads OPENAI_BASE_URL itself: the local stack and tests point it at a fake.
    # ai.py retries, and sets each call's timeout from the invocation's budget.
    return OpenAI(api_key=api_key, max_retries=0)


@lru_cache(maxsize=32)
def _twilio_sender(credentials: TwilioCredentials) -> TwilioSender:
    from chalicelib.comms.messaging import TIMEOUT_SECONDS, TwilioSender, twilio_client

    settings = processor_settings()
    client = twilio_client(
        credentials.account_sid,
        credentials.auth_token,
        _timeout_seconds(TIMEOUT_SECONDS),
        base_url=settings.twilio_api_base_url,
    )
    return TwilioSender(
        client,
        backoff_seconds=settings.retry_base_seconds,
        timeout_seconds=_timeout_seconds(TIMEOUT_SECONDS),
    )


@lru_cache(maxsize=32)
def _sendgrid_sender(credentials: SendGridCredentials) -> SendGridSender:
    from chalicelib.comms.mail import API_BASE_URL, TIMEOUT_SECONDS, SendGridSender

    settings = processor_settings()
    return SendGridSender(
        requests.Session(),
        credentials.api_key,
        base_url=settings.sendgrid_api_base_url or API_BASE_URL,
        backoff_seconds=settings.retry_base_seconds,
        timeout_seconds=_timeout_seconds(TIMEOUT_SECONDS),
    )


def reset() -> None:
    """Drop the settings and every built dependency (tests)."""
    processor_settings.cache_clear()
    credentials.cache_clear()
    processor_deps.cache_clear()
    own_queue.cache_clear()
    _openai_client.cache_clear()
    _twilio_sender.cache_clear()
    _sendgrid_sender.cache_clear()
