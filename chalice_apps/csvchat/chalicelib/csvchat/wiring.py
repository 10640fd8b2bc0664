"""Builds the handlers' dependencies from the environment the Pulumi program sets, read as
each function's settings model (``shared.settings``), once per warm function. Each model asks
only for what the program gives its function (``infra/systems/csvchat/component.py``): the
processor and the usage tracker get a few of the API's variables, never all of them.

Lazy on purpose: importing the app builds nothing, so tests can call ``reset()`` after
pointing boto3 elsewhere.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import boto3
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from pydantic import Field, Json, StringConstraints

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
from shared.settings import FunctionSettings, from_environment

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

# Presigned URLs must be SigV4 (every region takes it; some only it).
_S3_CONFIG = aws.BOTO_CONFIG.merge(Config(signature_version="s3v4"))

# A resource's name or id: an empty variable is as unset as a missing one.
Name = Annotated[str, StringConstraints(min_length=1)]


class ApiSettings(FunctionSettings):
    """The API's environment: every table, both buckets, the query engine, the query role,
    the pool's app client and the stack's limits (JSON the program writes from them)."""

    datasets_table: Name = Field(validation_alias=env.DATASETS_TABLE)
    chat_history_table: Name = Field(validation_alias=env.CHAT_HISTORY_TABLE)
    preferences_table: Name = Field(validation_alias=env.PREFERENCES_TABLE)
    usage_table: Name = Field(validation_alias=env.USAGE_TABLE)
    uploads_bucket: Name = Field(validation_alias=env.UPLOADS_BUCKET)
    results_bucket: Name = Field(validation_alias=env.RESULTS_BUCKET)
    glue_database: Name = Field(validation_alias=env.GLUE_DATABASE)
    athena_workgroup: Name = Field(validation_alias=env.ATHENA_WORKGROUP)
    query_role_arn: Name = Field(validation_alias=env.QUERY_ROLE_ARN)
    user_pool_client_id: Name = Field(validation_alias=env.USER_POOL_CLIENT_ID)
    upload_limits: Json[UploadLimits] = Field(validation_alias=env.UPLOAD_LIMITS)
    query_limits: Json[QueryLimits] = Field(validation_alias=env.QUERY_LIMITS)
    chat_limits: Json[ChatLimits] = Field(validation_alias=env.CHAT_LIMITS)


class ProcessorSettings(FunctionSettings):
    """The upload processor's environment: where datasets are recorded, stored and declared."""

    datasets_table: Name = Field(validation_alias=env.DATASETS_TABLE)
    uploads_bucket: Name = Field(validation_alias=env.UPLOADS_BUCKET)
    glue_database: Name = Field(validation_alias=env.GLUE_DATABASE)


class UsageTrackerSettings(FunctionSettings):
    """The usage tracker's environment: the datasets it counts, the usage it stores."""

    datasets_table: Name = Field(validation_alias=env.DATASETS_TABLE)
    usage_table: Name = Field(validation_alias=env.USAGE_TABLE)


@cache
def api_settings() -> ApiSettings:
    return from_environment(ApiSettings)


@cache
def processor_settings() -> ProcessorSettings:
    return from_environment(ProcessorSettings)


@cache
def usage_tracker_settings() -> UsageTrackerSettings:
    return from_environment(UsageTrackerSettings)


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
    settings = api_settings()
    access = QueryAccess(
        role_arn=settings.query_role_arn,
        region=str(session().region_name),
        uploads_bucket=settings.uploads_bucket,
        results_bucket=settings.results_bucket,
        results_prefix=names.QUERY_RESULTS_PREFIX,
        database=settings.glue_database,
        workgroup=settings.athena_workgroup,
    )
    return ScopedAthena(access, sts(), _athena)


@cache
def bedrock() -> Any:
    return session().client("bedrock-runtime", config=aws.BOTO_CONFIG.merge(nl2sql.BOTO_CONFIG))


def _table(name: str) -> Table:
    return aws.dynamodb().Table(name)


@cache
def datasets() -> DatasetRepository:
    """The API's datasets table."""
    return DatasetRepository(_table(api_settings().datasets_table))


def client_id() -> str:
    return api_settings().user_pool_client_id


@cache
def upload_deps() -> UploadDeps:
    settings = api_settings()
    return UploadDeps(
        s3=s3(),
        bucket=settings.uploads_bucket,
        datasets=datasets(),
        usage=_table(settings.usage_table),
        limits=settings.upload_limits,
    )


@cache
def dataset_deps() -> DatasetDeps:
    settings = api_settings()
    return DatasetDeps(
        datasets=datasets(),
        s3=s3(),
        glue=glue(),
        chats=_table(settings.chat_history_table),
        bucket=settings.uploads_bucket,
        database=settings.glue_database,
    )


@cache
def _query_run() -> QueryRun:
    settings = api_settings()
    return QueryRun(
        athena=scoped_athena(),
        database=settings.glue_database,
        workgroup=settings.athena_workgroup,
        limits=settings.query_limits,
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
    settings = processor_settings()
    return ProcessingDeps(
        s3=s3(),
        glue=glue(),
        datasets=DatasetRepository(_table(settings.datasets_table)),
        bucket=settings.uploads_bucket,
        database=settings.glue_database,
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
    settings = api_settings()
    return ChatDeps(
        datasets=dataset_deps(),
        chats=ChatStore(_table(settings.chat_history_table)),
        preferences=preferences(),
        run=_query_run(),
        bedrock=bedrock(),
        limits=settings.chat_limits,
        now=now,
        record=record_reply,
    )


@cache
def preferences() -> PreferenceStore:
    return PreferenceStore(_table(api_settings().preferences_table))


@cache
def counted_datasets() -> DatasetRepository:
    """The usage tracker's datasets table, where it counts what each owner holds."""
    return DatasetRepository(_table(usage_tracker_settings().datasets_table))


def usage_table() -> Table:
    """The usage tracker's usage table, where it stores the counts."""
    return _table(usage_tracker_settings().usage_table)


def reset() -> None:
    """Drop every built dependency, the settings and cached clients (tests)."""
    for built in (
        api_settings,
        processor_settings,
        usage_tracker_settings,
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
        counted_datasets,
    ):
        built.cache_clear()
    aws.reset_clients()
