"""The video pipeline's dependencies, built from the environment the program sets, once per
warm function (lazily: importing builds nothing, so tests point boto3 elsewhere first).

Clients share the platform's retry policy (``shared.aws.BOTO_CONFIG``); Bedrock's read
timeout is longer, since a script takes the model tens of seconds to write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from chalicelib.trends import env, wiring
from chalicelib.trends.pipeline_config import PipelineConfig
from chalicelib.trends.video_records import VideoStore
from chalicelib.trends.video_stages import VideoDeps
from shared import aws
from shared.env import require

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

MODEL_READ_TIMEOUT_SECONDS = 120


@cache
def config() -> PipelineConfig:
    return PipelineConfig.model_validate_json(require(env.PIPELINE_CONFIG))


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
    dynamodb = aws.dynamodb()
    return VideoStore(
        dynamodb.Table(require(env.VIDEOS_TABLE)),
        dynamodb.Table(require(env.STATE_TABLE)),
        client("dynamodb"),
    )


def deps(metrics: Metrics) -> VideoDeps:
    """The pipeline's dependencies, with the invocation's ``metrics`` (the handler flushes
    them)."""
    return VideoDeps(
        config=config(),
        store=store(),
        bucket=require(env.VIDEOS_BUCKET),
        s3=client("s3"),
        bedrock=client("bedrock-runtime"),
        polly=client("polly"),
        mediaconvert=client("mediaconvert"),
        mediaconvert_role_arn=require(env.MEDIACONVERT_ROLE_ARN),
        sfn=client("stepfunctions"),
        sns=client("sns"),
        secrets=client("secretsmanager"),
        alerts_topic_arn=require(env.ALERTS_TOPIC_ARN),
        metrics=metrics,
        now=lambda: datetime.now(UTC),
    )


def reset() -> None:
    """Drop every built dependency (tests)."""
    config.cache_clear()
    session.cache_clear()
    client.cache_clear()
    store.cache_clear()
    wiring.reset()
