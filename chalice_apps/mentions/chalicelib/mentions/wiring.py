"""Builds the handlers' dependencies from the environment the Pulumi program sets, read as
each function's settings model (``shared.settings``), once per warm function (the
MentionMind client once per run, so a rotated key is picked up when the secret cache
expires).

Lazy on purpose: importing the app builds nothing, so tests can call ``reset()`` after
pointing boto3 elsewhere.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from pydantic import Field, Json

from chalicelib.mentions import env, names
from chalicelib.mentions.client import DEFAULT_BASE_URL, MentionMindClient
from chalicelib.mentions.credentials import mentionmind_api_key
from chalicelib.mentions.ingestion import IngestionDeps, WindowSettings, observe_api_calls
from chalicelib.mentions.repository import MentionRepository
from chalicelib.mentions.state import IngesterState
from shared import aws
from shared.env import SECRETS_CACHE_SECONDS
from shared.observability import logger
from shared.settings import FunctionSettings, from_environment


class ReaderSettings(FunctionSettings):
    """The read route's environment."""

    mentions_table: str = Field(validation_alias=env.MENTIONS_TABLE)


class IngesterSettings(FunctionSettings):
    """The scheduled ingester's environment."""

    mentions_table: str = Field(validation_alias=env.MENTIONS_TABLE)
    retention_days: int = Field(gt=0, validation_alias=env.MENTIONS_RETENTION_DAYS)
    state_table: str = Field(validation_alias=env.INGESTER_STATE_TABLE)
    secret_name: str = Field(validation_alias=env.MENTIONMIND_SECRET_NAME)
    project_ids: Json[list[str]] = Field(validation_alias=env.MENTIONMIND_PROJECT_IDS)
    window: Json[WindowSettings] = Field(validation_alias=env.INGESTION_WINDOW)
    base_url: str = Field(default=DEFAULT_BASE_URL, validation_alias=env.MENTIONMIND_BASE_URL)
    secrets_cache_seconds: int = Field(default=300, validation_alias=SECRETS_CACHE_SECONDS)


@cache
def reader_settings() -> ReaderSettings:
    return from_environment(ReaderSettings)


@cache
def ingester_settings() -> IngesterSettings:
    return from_environment(IngesterSettings)


@cache
def reader() -> MentionRepository:
    """The read route's view of the table (it stores nothing)."""
    return MentionRepository(aws.dynamodb().Table(reader_settings().mentions_table), None)


@cache
def repository() -> MentionRepository:
    settings = ingester_settings()
    return MentionRepository(
        aws.dynamodb().Table(settings.mentions_table), retention_days=settings.retention_days
    )


@cache
def state() -> IngesterState:
    return IngesterState(aws.dynamodb().Table(ingester_settings().state_table))


@cache
def metrics() -> Metrics:
    return Metrics(
        namespace=names.MENTIONS_METRICS_NAMESPACE, service=names.MENTIONS_INGESTER_SERVICE
    )


@cache
def _secrets() -> SecretsProvider:
    return SecretsProvider(boto3_client=aws.secretsmanager())


def project_ids() -> list[str]:
    return list(ingester_settings().project_ids)


def ingestion_deps(run_metrics: Metrics) -> IngestionDeps:
    """The run's client (with the key as cached for ``SECRETS_CACHE_SECONDS``) and the rest."""
    settings = ingester_settings()
    api_key = mentionmind_api_key(
        _secrets(), settings.secret_name, max_age=settings.secrets_cache_seconds
    )
    client = MentionMindClient(
        api_key, base_url=settings.base_url, observe=observe_api_calls(run_metrics)
    )
    return IngestionDeps(
        client=client,
        repository=repository(),
        state=state(),
        window=settings.window,
        log=logger(names.MENTIONS_INGESTER_SERVICE),
    )


def reset() -> None:
    """Drop every built dependency, the settings and cached clients (tests)."""
    reader_settings.cache_clear()
    ingester_settings.cache_clear()
    repository.cache_clear()
    reader.cache_clear()
    state.cache_clear()
    _secrets.cache_clear()
    aws.reset_clients()
