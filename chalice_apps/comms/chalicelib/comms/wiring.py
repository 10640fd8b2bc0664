"""Builds the router's dependencies from the environment, once per warm function.

Lazy on purpose: importing the app builds nothing, so cold start stays small and tests can
call ``reset()`` after pointing boto3 somewhere else.
"""

from __future__ import annotations

import json
import os
from functools import cache, lru_cache

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from openai import OpenAI

from chalicelib.comms.processor.batch import HeartbeatSettings
from chalicelib.comms.processor.conversations import ConversationRepository
from chalicelib.comms.processor.credentials import Credentials, TwilioCredentials
from chalicelib.comms.processor.messaging import TwilioSender, twilio_client
from chalicelib.comms.processor.service import ProcessorDeps
from chalicelib.comms.router.company_config import CompanyConfigRepository
from chalicelib.comms.router.dispatch import ChannelQueues
from shared import aws, env, names

DEFAULT_CONFIG_CACHE_SECONDS = 60.0


@cache
def company_configs() -> CompanyConfigRepository:
    table = aws.dynamodb().Table(env.require(env.COMPANY_DATA_TABLE))
    seconds = float(os.environ.get(env.CONFIG_CACHE_SECONDS, DEFAULT_CONFIG_CACHE_SECONDS))
    return CompanyConfigRepository(table, cache_seconds=seconds)


@cache
def channel_queues() -> ChannelQueues:
    return ChannelQueues(aws.sqs(), json.loads(env.require(env.CHANNEL_QUEUE_URLS)))


def reset() -> None:
    """Drop every built dependency and cached client (tests, local stack restarts)."""
    company_configs.cache_clear()
    channel_queues.cache_clear()
    reset_processor()
    aws.reset_clients()


@cache
def conversations() -> ConversationRepository:
    return ConversationRepository(aws.dynamodb().Table(env.require(env.CONVERSATIONS_TABLE)))


@cache
def credentials() -> Credentials:
    """Secrets for this function: the OpenAI key only where the deployment names one."""
    return Credentials(
        SecretsProvider(boto3_client=aws.secretsmanager()),
        openai_secret=os.environ.get(env.OPENAI_SECRET_NAME) or None,
        max_age=int(os.environ.get(env.SECRETS_CACHE_SECONDS, "300")),
    )


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
    api_url = os.environ.get(env.API_URL)
    return f"{api_url.rstrip('/')}{names.TWILIO_STATUS_PATH}" if api_url else None


@cache
def heartbeat_settings() -> HeartbeatSettings:
    return HeartbeatSettings(
        queue_url=env.require(env.QUEUE_URL),
        interval_seconds=float(os.environ.get(env.HEARTBEAT_INTERVAL_SECONDS, "30")),
        visibility_seconds=int(env.require(env.VISIBILITY_TIMEOUT_SECONDS)),
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


def reset_processor() -> None:
    conversations.cache_clear()
    credentials.cache_clear()
    processor_deps.cache_clear()
    heartbeat_settings.cache_clear()
    _openai_client.cache_clear()
    _twilio_sender.cache_clear()
