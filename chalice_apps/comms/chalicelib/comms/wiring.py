"""Builds the router's and the delivery callbacks' dependencies from the API handler's
settings (``settings.ApiSettings``), once per warm function (the processors' are in
``processor_wiring.py``, which loads the OpenAI and Twilio SDKs: the API handler never
imports it).

Lazy on purpose: importing the app builds nothing, so cold start stays small and tests can
call ``reset()`` after pointing boto3 somewhere else. Each factory also imports what it
builds, the settings model included: every function of the app imports this module on its
cold start, and most of them use one or two of these (bench/router_bench.py holds the
router's import to 1.3x of a bare Chalice app with boto3).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from shared import aws

if TYPE_CHECKING:
    from chalicelib.comms.company_config import CompanyConfigRepository
    from chalicelib.comms.conversations import ConversationRepository
    from chalicelib.comms.credentials import Credentials
    from chalicelib.comms.dispatch import ChannelQueues
    from chalicelib.comms.settings import ApiSettings


@cache
def api_settings() -> ApiSettings:
    """Raises ConfigurationError naming every missing or invalid variable."""
    from chalicelib.comms.settings import ApiSettings
    from shared.settings import from_environment

    return from_environment(ApiSettings)


@cache
def company_configs() -> CompanyConfigRepository:
    from chalicelib.comms.company_config import CompanyConfigRepository

    settings = api_settings()
    return CompanyConfigRepository(
        aws.dynamodb().Table(settings.company_data_table),
        cache_seconds=settings.config_cache_seconds,
    )


@cache
def channel_queues() -> ChannelQueues:
    from chalicelib.comms.dispatch import ChannelQueues

    return ChannelQueues(aws.sqs(), api_settings().channel_queue_urls)


@cache
def conversations() -> ConversationRepository:
    from chalicelib.comms.conversations import ConversationRepository

    return ConversationRepository(aws.dynamodb().Table(api_settings().conversations_table))


@cache
def credentials() -> Credentials:
    """Secrets for the callbacks' signature checks: no OpenAI key (the handler writes no
    message)."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from chalicelib.comms.credentials import Credentials

    return Credentials(
        SecretsProvider(boto3_client=aws.secretsmanager()),
        openai_secret=None,
        max_age=api_settings().secrets_cache_seconds,
    )


def reset() -> None:
    """Drop the settings, every built dependency and cached client (tests, local stack
    restarts)."""
    api_settings.cache_clear()
    company_configs.cache_clear()
    channel_queues.cache_clear()
    conversations.cache_clear()
    credentials.cache_clear()
    aws.reset_clients()
