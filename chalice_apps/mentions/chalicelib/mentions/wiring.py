"""Builds the handlers' dependencies from the environment the Pulumi program sets, once per
warm function (the MentionMind client once per run, so a rotated key is picked up when the
secret cache expires).

Lazy on purpose: importing the app builds nothing, so tests can call ``reset()`` after
pointing boto3 elsewhere.
"""

from __future__ import annotations

import json
import os
from functools import cache

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from chalicelib.mentions import env, names
from chalicelib.mentions.client import DEFAULT_BASE_URL, MentionMindClient
from chalicelib.mentions.credentials import mentionmind_api_key
from chalicelib.mentions.ingestion import IngestionDeps, WindowSettings, observe_api_calls
from chalicelib.mentions.repository import MentionRepository
from chalicelib.mentions.state import IngesterState
from shared import aws
from shared.env import SECRETS_CACHE_SECONDS, require
from shared.errors import ConfigurationError
from shared.observability import logger


@cache
def reader() -> MentionRepository:
    """The read route's view of the table (it stores nothing)."""
    return MentionRepository(aws.dynamodb().Table(require(env.MENTIONS_TABLE)), None)


@cache
def repository() -> MentionRepository:
    return MentionRepository(
        aws.dynamodb().Table(require(env.MENTIONS_TABLE)),
        retention_days=int(require(env.MENTIONS_RETENTION_DAYS)),
    )


@cache
def state() -> IngesterState:
    return IngesterState(aws.dynamodb().Table(require(env.INGESTER_STATE_TABLE)))


@cache
def metrics() -> Metrics:
    return Metrics(
        namespace=names.MENTIONS_METRICS_NAMESPACE, service=names.MENTIONS_INGESTER_SERVICE
    )


@cache
def _secrets() -> SecretsProvider:
    return SecretsProvider(boto3_client=aws.secretsmanager())


def project_ids() -> list[str]:
    value = json.loads(require(env.MENTIONMIND_PROJECT_IDS))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{env.MENTIONMIND_PROJECT_IDS} is not a JSON list of ids")
    return value


def ingestion_deps(run_metrics: Metrics) -> IngestionDeps:
    """The run's client (with the key as cached for ``SECRETS_CACHE_SECONDS``) and the rest."""
    api_key = mentionmind_api_key(
        _secrets(),
        require(env.MENTIONMIND_SECRET_NAME),
        max_age=int(os.environ.get(SECRETS_CACHE_SECONDS, "300")),
    )
    client = MentionMindClient(
        api_key,
        base_url=os.environ.get(env.MENTIONMIND_BASE_URL) or DEFAULT_BASE_URL,
        observe=observe_api_calls(run_metrics),
    )
    return IngestionDeps(
        client=client,
        repository=repository(),
        state=state(),
        window=WindowSettings.model_validate_json(require(env.INGESTION_WINDOW)),
        log=logger(names.MENTIONS_INGESTER_SERVICE),
    )


def reset() -> None:
    """Drop every built dependency and cached client (tests)."""
    repository.cache_clear()
    reader.cache_clear()
    state.cache_clear()
    _secrets.cache_clear()
    aws.reset_clients()
