"""Builds the handlers' dependencies from the environment the Pulumi program sets, read as
each function's settings model (``shared.settings``), once per warm function (the YouTube
client and quota keeper once per run, so each run counts its own units and a rotated key is
picked up when the secret cache expires).

Lazy on purpose: importing the app builds nothing, so tests can call ``reset()`` after
pointing boto3 elsewhere.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from pydantic import Field, Json, StringConstraints, ValidationInfo, field_validator

from chalicelib.trends import env, names
from chalicelib.trends.analysis import AnalysisDeps, observe_api_calls
from chalicelib.trends.analysis_config import AnalysisConfig
from chalicelib.trends.config_store import ConfigStore
from chalicelib.trends.credentials import youtube_api_key
from chalicelib.trends.quota import QuotaKeeper
from chalicelib.trends.repositories import TrendRepository, VideoRepository
from chalicelib.trends.youtube import DEFAULT_URL, ApiKey, YouTubeClient
from shared import aws
from shared.env import SECRETS_CACHE_SECONDS
from shared.observability import logger
from shared.settings import FunctionSettings, from_environment

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


# A variable the deployment must set: empty is as wrong as missing (a table named "").
Required = Annotated[str, StringConstraints(min_length=1)]


def default_when_empty(model: type[FunctionSettings], value: Any, info: ValidationInfo) -> Any:
    """``value``, or the field's default when it is empty: a variable set to "" points its
    client at the real service, as an unset one does."""
    if value == "" and info.field_name is not None:
        return model.model_fields[info.field_name].default
    return value


class AnalysisSettings(FunctionSettings):
    """The daily analysis' environment (``analyze_trends``)."""

    trend_analytics_table: Required = Field(validation_alias=env.TREND_ANALYTICS_TABLE)
    video_metadata_table: Required = Field(validation_alias=env.VIDEO_METADATA_TABLE)
    state_table: Required = Field(validation_alias=env.STATE_TABLE)
    youtube_secret_name: Required = Field(validation_alias=env.YOUTUBE_SECRET_NAME)
    config: Json[AnalysisConfig] = Field(validation_alias=env.ANALYSIS_CONFIG)
    secrets_cache_seconds: int = Field(default=300, validation_alias=SECRETS_CACHE_SECONDS)
    youtube_api_url: str = Field(default=DEFAULT_URL, validation_alias=env.YOUTUBE_API_URL)

    @field_validator("youtube_api_url", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: Any, info: ValidationInfo) -> Any:
        return default_when_empty(cls, value, info)


class ConfigReaderSettings(FunctionSettings):
    """What the configuration API and the video planner (``plan_videos``) both read: the
    configuration's versions and the latest rankings."""

    config_table: Required = Field(validation_alias=env.CONFIG_TABLE)
    trend_analytics_table: Required = Field(validation_alias=env.TREND_ANALYTICS_TABLE)


class ApiSettings(ConfigReaderSettings):
    """The configuration API's whole environment (``APIHandler``): the readers' tables and
    the app client its callers' tokens are issued to."""

    user_pool_client_id: Required = Field(validation_alias=env.USER_POOL_CLIENT_ID)


@cache
def analysis_settings() -> AnalysisSettings:
    return from_environment(AnalysisSettings)


@cache
def config_reader_settings() -> ConfigReaderSettings:
    return from_environment(ConfigReaderSettings)


@cache
def api_settings() -> ApiSettings:
    return from_environment(ApiSettings)


def _table(name: str) -> Table:
    return aws.dynamodb().Table(name)


@cache
def _secrets() -> SecretsProvider:
    return SecretsProvider(boto3_client=aws.secretsmanager())


@cache
def config_store() -> ConfigStore:
    return ConfigStore(_table(config_reader_settings().config_table))


@cache
def rankings() -> TrendRepository:
    """The read side of TrendAnalytics (the page's latest ranking per topic)."""
    return TrendRepository(_table(config_reader_settings().trend_analytics_table), retention_days=1)


def client_id() -> str:
    return api_settings().user_pool_client_id


def metrics() -> Metrics:
    return Metrics(namespace=names.TRENDS_METRICS_NAMESPACE, service=names.TRENDS_METRICS_SERVICE)


def analysis_deps(run_metrics: Metrics) -> AnalysisDeps:
    """The run's YouTube client (a fresh quota keeper) and the repositories."""
    settings = analysis_settings()
    config = settings.config
    api_key = youtube_api_key(
        _secrets(), settings.youtube_secret_name, max_age=settings.secrets_cache_seconds
    )
    youtube = YouTubeClient(
        ApiKey(api_key),
        QuotaKeeper(_table(settings.state_table), config.quota_units_per_day),
        base_url=settings.youtube_api_url,
        observe=observe_api_calls(run_metrics, logger(names.TRENDS_METRICS_SERVICE)),
    )
    return AnalysisDeps(
        youtube=youtube,
        videos=VideoRepository(_table(settings.video_metadata_table), config.retention_days),
        trends=TrendRepository(_table(settings.trend_analytics_table), config.retention_days),
        config=config,
        log=logger(names.TRENDS_METRICS_SERVICE),
    )


def reset() -> None:
    """Drop every built dependency, the settings and cached clients (tests)."""
    analysis_settings.cache_clear()
    config_reader_settings.cache_clear()
    api_settings.cache_clear()
    config_store.cache_clear()
    rankings.cache_clear()
    _secrets.cache_clear()
    aws.reset_clients()
