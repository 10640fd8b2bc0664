"""Builds the handlers' dependencies from the environment the Pulumi program sets, once per
warm function. Lazy on purpose: importing the app builds nothing, so tests can call
``reset()`` after pointing boto3 elsewhere."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config

from chalicelib.csvchat import env, names, nl2sql
from chalicelib.csvchat.chats import ChatStore, PreferenceStore
from chalicelib.csvchat.conversation import ChatDeps
from chalicelib.csvchat.datasets import DatasetRepository
from chalicelib.csvchat.models import ChatLimits, QueryLimits, UploadLimits
from chalicelib.csvchat.processing import ProcessingDeps
from chalicelib.csvchat.queries import QueryRun
from chalicelib.csvchat.query_access import QueryAccess, ScopedAthena
from chalicelib.csvchat.service import DatasetDeps
from chalicelib.csvchat.uploads import UploadDeps
from shared import aws
from shared.env import require

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

# Presigned URLs must be SigV4 (every region takes it; some only it).
_S3_CONFIG = aws.BOTO_CONFIG.merge(Config(signature_version="s3v4"))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@cache
def session() -> boto3.session.Session:
    """Every client of the function comes from this session (tests hook its events)."""
    return boto3.session.Session()


@cache
def s3() -> S3Client:
    return session().client("s3", config=_S3_CONFIG)


@cache
def glue() -> GlueClient:
    return session().client("glue", config=aws.BOTO_CONFIG)


@cache
def sts() -> Any:
    return session().client("sts", config=aws.BOTO_CONFIG)


def _athena(credentials: dict[str, str]) -> AthenaClient:
    """An Athena client with a query's scoped credentials (``query_access.py``)."""
    return session().client(
        "athena",
        config=aws.BOTO_CONFIG,
        aws_access_key_id=credentials["aws_access_key_id"],
        aws_secret_access_key=credentials["aws_secret_access_key"],
        aws_session_token=credentials["aws_session_token"],
    )


@cache
def scoped_athena() -> ScopedAthena:
    access = QueryAccess(
        role_arn=require(env.QUERY_ROLE_ARN),
        region=str(session().region_name),
        uploads_bucket=require(env.UPLOADS_BUCKET),
        results_bucket=require(env.RESULTS_BUCKET),
        results_prefix=names.QUERY_RESULTS_PREFIX,
        database=require(env.GLUE_DATABASE),
        workgroup=require(env.ATHENA_WORKGROUP),
    )
    return ScopedAthena(access, sts(), _athena)


@cache
def bedrock() -> Any:
    return session().client("bedrock-runtime", config=aws.BOTO_CONFIG.merge(nl2sql.BOTO_CONFIG))


def _table(variable: str) -> Table:
    return aws.dynamodb().Table(require(variable))


@cache
def datasets() -> DatasetRepository:
    return DatasetRepository(_table(env.DATASETS_TABLE))


def client_id() -> str:
    return require(env.USER_POOL_CLIENT_ID)


@cache
def upload_deps() -> UploadDeps:
    return UploadDeps(
        s3=s3(),
        bucket=require(env.UPLOADS_BUCKET),
        datasets=datasets(),
        usage=_table(env.USAGE_TABLE),
        limits=UploadLimits.model_validate_json(require(env.UPLOAD_LIMITS)),
    )


@cache
def dataset_deps() -> DatasetDeps:
    return DatasetDeps(
        datasets=datasets(),
        s3=s3(),
        glue=glue(),
        chats=_table(env.CHAT_HISTORY_TABLE),
        bucket=require(env.UPLOADS_BUCKET),
        database=require(env.GLUE_DATABASE),
    )


@cache
def _query_run() -> QueryRun:
    return QueryRun(
        athena=scoped_athena(),
        database=require(env.GLUE_DATABASE),
        workgroup=require(env.ATHENA_WORKGROUP),
        limits=QueryLimits.model_validate_json(require(env.QUERY_LIMITS)),
    )


def _remaining_ms(context: Any) -> int | None:
    """The invocation's time left (Lambda's context; None where there is none)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else None


def query_run(context: Any) -> QueryRun:
    """How this invocation runs queries: ending before its function's time is up."""
    return _query_run().until(_remaining_ms(context))


@cache
def processing_deps() -> ProcessingDeps:
    return ProcessingDeps(
        s3=s3(),
        glue=glue(),
        datasets=datasets(),
        bucket=require(env.UPLOADS_BUCKET),
        database=require(env.GLUE_DATABASE),
        now=now,
    )


def record_reply(outcome: dict[str, float]) -> None:
    """One question's timings (ms) and counts (``names.REPLY_METRICS``) as EMF metrics with
    powertools' ``service`` dimension: the dashboard and alarms read them."""
    metrics = Metrics(namespace=names.METRICS_NAMESPACE, service=names.METRICS_SERVICE)
    for step, value in outcome.items():
        unit = MetricUnit.Count if step in names.REPLY_COUNTS else MetricUnit.Milliseconds
        metrics.add_metric(names.REPLY_METRICS[step], unit, value)
    metrics.flush_metrics()


def chat_deps(context: Any = None) -> ChatDeps:
    """The chat's dependencies; with the invocation's Lambda ``context``, its queries end
    before the function's time is up."""
    return replace(_chat_deps(), run=query_run(context))


@cache
def _chat_deps() -> ChatDeps:
    return ChatDeps(
        datasets=dataset_deps(),
        chats=ChatStore(_table(env.CHAT_HISTORY_TABLE)),
        preferences=preferences(),
        run=_query_run(),
        bedrock=bedrock(),
        limits=ChatLimits.model_validate_json(require(env.CHAT_LIMITS)),
        now=now,
        record=record_reply,
    )


@cache
def preferences() -> PreferenceStore:
    return PreferenceStore(_table(env.PREFERENCES_TABLE))


def usage_table() -> Table:
    return _table(env.USAGE_TABLE)


def reset() -> None:
    """Drop every built dependency and cached client (tests)."""
    for built in (
        session,
        s3,
        glue,
        sts,
        scoped_athena,
        datasets,
        upload_deps,
        dataset_deps,
        _query_run,
        processing_deps,
        bedrock,
        _chat_deps,
        preferences,
    ):
        built.cache_clear()
    aws.reset_clients()
