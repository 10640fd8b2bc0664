"""Builds the handlers' dependencies from the environment the Pulumi program sets, once per
warm function (the YouTube client and quota keeper once per run, so each run counts its own
units and a rotated key is picked up when the secret cache expires).

Lazy on purpose: importing the app builds nothing, so tests can call ``reset()`` after
pointing boto3 elsewhere.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from chalicelib.trends import env, names
from chalicelib.trends.analysis import AnalysisDeps, observe_api_calls
from chalicelib.trends.analysis_config import AnalysisConfig
from chalicelib.trends.config_store import ConfigStore
from chalicelib.trends.credentials import youtube_api_key
from chalicelib.trends.quota import QuotaKeeper
from chalicelib.trends.repositories import TrendRepository, VideoRepository
from chalicelib.trends.youtube import DEFAULT_URL, ApiKey, YouTubeClient
from shared import aws
from shared.env import SECRETS_CACHE_SECONDS, require
from shared.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@cache
def config() -> AnalysisConfig:
    return AnalysisConfig.model_validate_json(require(env.ANALYSIS_CONFIG))


def _table(variable: str) -> Table:
    return aws.dynamodb().Table(require(variable))


@cache
def _secrets() -> SecretsProvider:
    return SecretsProvider(boto3_client=aws.secretsmanager())


@cache
def config_store() -> ConfigStore:
    return ConfigStore(_table(env.CONFIG_TABLE))


@cache
def rankings() -> TrendRepository:
    """The read side of TrendAnalytics (the page's latest ranking per topic)."""
    return TrendRepository(_table(env.TREND_ANALYTICS_TABLE), retention_days=1)


def client_id() -> str:
    return require(env.USER_POOL_CLIENT_ID)


def metrics() -> Metrics:
    return Metrics(namespace=names.TRENDS_METRICS_NAMESPACE, service=names.TRENDS_METRICS_SERVICE)


def analysis_deps(run_metrics: Metrics) -> AnalysisDeps:
    """The run's YouTube client (a fresh quota keeper) and the repositories."""
    settings = config()
    api_key = youtube_api_key(
        _secrets(),
        require(env.YOUTUBE_SECRET_NAME),
        max_age=int(os.environ.get(SECRETS_CACHE_SECONDS, "300")),
    )
    youtube = YouTubeClient(
        ApiKey(api_key),
        QuotaKeeper(_table(env.STATE_TABLE), settings.quota_units_per_day),
        base_url=os.environ.get(env.YOUTUBE_API_URL) or DEFAULT_URL,
        observe=observe_api_calls(run_metrics, logger(names.TRENDS_METRICS_SERVICE)),
    )
    return AnalysisDeps(
        youtube=youtube,
        videos=VideoRepository(_table(env.VIDEO_METADATA_TABLE), settings.retention_days),
        trends=TrendRepository(_table(env.TREND_ANALYTICS_TABLE), settings.retention_days),
        config=settings,
        log=logger(names.TRENDS_METRICS_SERVICE),
    )


def reset() -> None:
    """Drop every built dependency and cached client (tests)."""
    config.cache_clear()
    config_store.cache_clear()
    rankings.cache_clear()
    _secrets.cache_clear()
    aws.reset_clients()
