"""Builds the router's and the delivery callbacks' dependencies from the environment, once
per warm function (the processors' are in ``processor_wiring.py``, which loads the OpenAI
and Twilio SDKs: the API handler never imports it).

Lazy on purpose: importing the app builds nothing, so cold start stays small and tests can
call ``reset()`` after pointing boto3 somewhere else. Each factory also imports what it
builds: every function of the app imports this module on its cold start, and most of them
use one or two of these (bench/router_bench.py holds the router's import to 1.3x of a bare
Chalice app with boto3).
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import TYPE_CHECKING

from chalicelib.comms import env
from shared import aws
from shared.env import SECRETS_CACHE_SECONDS, require

if TYPE_CHECKING:
    from chalicelib.comms.company_config import CompanyConfigRepository
    from chalicelib.comms.conversations import ConversationRepository
    from chalicelib.comms.credentials import Credentials
    from chalicelib.comms.dispatch import ChannelQueues

DEFAULT_CONFIG_CACHE_SECONDS = 60.0


@cache
def company_configs() -> CompanyConfigRepository:
    from chalicelib.comms.company_config import CompanyConfigRepository

    table = aws.dynamodb().Table(require(env.COMPANY_DATA_TABLE))
    seconds = float(os.environ.get(env.CONFIG_CACHE_SECONDS, DEFAULT_CONFIG_CACHE_SECONDS))
    return CompanyConfigRepository(table, cache_seconds=seconds)


@cache
def channel_queues() -> ChannelQueues:
    from chalicelib.comms.dispatch import ChannelQueues

    return ChannelQueues(aws.sqs(), json.loads(require(env.CHANNEL_QUEUE_URLS)))


@cache
def conversations() -> ConversationRepository:
    from chalicelib.comms.conversations import ConversationRepository

    return ConversationRepository(aws.dynamodb().Table(require(env.CONVERSATIONS_TABLE)))


@cache
def credentials() -> Credentials:
    """Secrets for this function: the OpenAI key only where the deployment names one."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from chalicelib.comms.credentials import Credentials

    return Credentials(
        SecretsProvider(boto3_client=aws.secretsmanager()),
        openai_secret=os.environ.get(env.OPENAI_SECRET_NAME) or None,
        max_age=int(os.environ.get(SECRETS_CACHE_SECONDS, "300")),
    )


def reset() -> None:
    """Drop every built dependency and cached client (tests, local stack restarts)."""
    company_configs.cache_clear()
    channel_queues.cache_clear()
    conversations.cache_clear()
    credentials.cache_clear()
    aws.reset_clients()
