"""Builds the router's dependencies from the environment, once per warm function.

Lazy on purpose: importing the app builds nothing, so cold start stays small and tests can
call ``reset()`` after pointing boto3 somewhere else.
"""

from __future__ import annotations

import json
import os
from functools import cache

from chalicelib.comms.router.company_config import CompanyConfigRepository
from chalicelib.comms.router.dispatch import ChannelQueues
from shared import aws, env

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
    aws.reset_clients()
