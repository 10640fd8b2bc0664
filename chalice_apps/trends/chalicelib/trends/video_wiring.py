"""The video pipeline's dependencies, built from the environment the program sets (read as
``PipelineSettings``, the variables every task function gets, and ``UploadSettings`` for
the upload's own), once per warm function (lazily: importing builds nothing, so tests point
boto3 elsewhere first).

Clients share the platform's retry policy (``shared.aws.BOTO_CONFIG``); Bedrock's read
timeout is longer, since a script takes the model tens of seconds to write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from pydantic import Field, Json, ValidationInfo, field_validator

from chalicelib.trends import env, wiring
from chalicelib.trends.credentials import TOKEN_URI
from chalicelib.trends.pipeline_config import PipelineConfig
from chalicelib.trends.upload import DEFAULT_UPLOAD_URL
from chalicelib.trends.video_records import VideoStore
from chalicelib.trends.video_stages import VideoDeps
from chalicelib.trends.wiring import Required, default_when_empty
from shared import aws
from shared.env import SECRETS_CACHE_SECONDS
from shared.settings import FunctionSettings, from_environment

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

MODEL_READ_TIMEOUT_SECONDS = 120


class PipelineSettings(FunctionSettings):
    """What every task function of the pipeline gets (``plan_videos`` adds
    ``wiring.ConfigReaderSettings``, ``upload_video`` its ``UploadSettings``)."""

    videos_table: Required = Field(validation_alias=env.VIDEOS_TABLE)
    state_table: Required = Field(validation_alias=env.STATE_TABLE)
    videos_bucket: Required = Field(validation_alias=env.VIDEOS_BUCKET)
    alerts_topic_arn: Required = Field(validation_alias=env.ALERTS_TOPIC_ARN)
    config: Json[PipelineConfig] = Field(validation_alias=env.PIPELINE_CONFIG)
    mediaconvert_role_arn: Required = Field(validation_alias=env.MEDIACONVERT_ROLE_ARN)


class UploadSettings(PipelineSettings):
    """The upload's whole environment (``upload_video``): the pipeline's, YouTube's OAuth
    secret, and where Google's token and upload endpoints are (real ones when unset)."""

    oauth_secret_name: Required = Field(validation_alias=env.YOUTUBE_OAUTH_SECRET_NAME)
    secrets_cache_seconds: int = Field(default=300, validation_alias=SECRETS_CACHE_SECONDS)
    token_url: str = Field(default=TOKEN_URI, validation_alias=env.YOUTUBE_TOKEN_URL)
    upload_url: str = Field(default=DEFAULT_UPLOAD_URL, validation_alias=env.YOUTUBE_UPLOAD_URL)

    @field_validator("token_url", "upload_url", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: Any, info: ValidationInfo) -> Any:
        return default_when_empty(cls, value, info)


@cache
def pipeline_settings() -> PipelineSettings:
    return from_environment(PipelineSettings)


@cache
def upload_settings() -> UploadSettings:
    return from_environment(UploadSettings)


@cache
def session() -> boto3.session.Session:
    # One per process: botocore parses each service's model once.
    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    """A boto3 client with the platform's retries (typed Any: not every service has stubs)."""
    settings = aws.BOTO_CONFIG
    if service == "bedrock-runtime":
        settings = settings.merge(Config(read_timeout=MODEL_READ_TIMEOUT_SECONDS))
    return session().client(service, config=settings)  # type: ignore[call-overload]


@cache
def store() -> VideoStore:
    dynamodb, tables = aws.dynamodb(), pipeline_settings()
    return VideoStore(
        dynamodb.Table(tables.videos_table), dynamodb.Table(tables.state_table), client("dynamodb")
    )


def deps(metrics: Metrics) -> VideoDeps:
    """The pipeline's dependencies, with the invocation's ``metrics`` (the handler flushes
    them)."""
    pipeline = pipeline_settings()
    return VideoDeps(
        config=pipeline.config,
        store=store(),
        bucket=pipeline.videos_bucket,
        s3=client("s3"),
        bedrock=client("bedrock-runtime"),
        polly=client("polly"),
        mediaconvert=client("mediaconvert"),
        mediaconvert_role_arn=pipeline.mediaconvert_role_arn,
        sfn=client("stepfunctions"),
        sns=client("sns"),
        secrets=client("secretsmanager"),
        alerts_topic_arn=pipeline.alerts_topic_arn,
        metrics=metrics,
        now=lambda: datetime.now(UTC),
    )


def reset() -> None:
    """Drop every built dependency and the settings (tests)."""
    pipeline_settings.cache_clear()
    upload_settings.cache_clear()
    session.cache_clear()
    client.cache_clear()
    store.cache_clear()
    wiring.reset()
