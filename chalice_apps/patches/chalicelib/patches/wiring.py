"""Builds the handlers' dependencies from the environment the Pulumi program sets, read as
each function's settings model (``shared.settings``), once per warm function (clients and
breakers once per invocation, so each run starts from the breaker's stored state and its own
rate-limit window).

A model asks only for the variables its function gets (``infra/systems/patches``), so a
function never fails for lack of another's setting. Lazy on purpose: importing the app
builds nothing, so tests can call ``reset()`` after pointing boto3 elsewhere.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated

import boto3
from aws_lambda_powertools import Metrics
from pydantic import BeforeValidator, Field, Json, StringConstraints
from pydantic_core import PydanticUseDefault

from chalicelib.patches import env, lore, names, patchwork
from chalicelib.patches.breaker import BreakerSettings, CircuitBreaker
from chalicelib.patches.config import IngesterConfig
from chalicelib.patches.discussion_repository import BodyStore, DiscussionRepository
from chalicelib.patches.discussions import ThreadDeps
from chalicelib.patches.fetching import FetchDeps
from chalicelib.patches.observe import observe_api_calls
from chalicelib.patches.patch_repository import PatchRepository
from chalicelib.patches.state import Cursors
from chalicelib.patches.transport import ServiceClient
from chalicelib.patches.work import WorkQueue
from shared import aws
from shared.observability import logger
from shared.settings import FunctionSettings, from_environment

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def _default_when_empty(value: object) -> object:
    """An empty service URL means the public one, as an unset one always has."""
    if value == "":
        raise PydanticUseDefault
    return value


# A resource name the program sets: empty is as misdeployed as missing.
Name = Annotated[str, StringConstraints(min_length=1)]
# A service's base URL, set only to point a client at another instance (the local fakes).
ServiceUrl = Annotated[str, BeforeValidator(_default_when_empty)]


class _PatchesSettings(FunctionSettings):
    """What every patches function gets: the ingester's settings."""

    config: Json[IngesterConfig] = Field(validation_alias=env.INGESTER_CONFIG)


class ApiSettings(_PatchesSettings):
    """The read API's environment (the config for the inline body size)."""

    patches_table: Name = Field(validation_alias=env.PATCHES_TABLE)
    discussions_table: Name = Field(validation_alias=env.DISCUSSIONS_TABLE)
    bodies_bucket: Name = Field(validation_alias=env.MESSAGE_BODIES_BUCKET)


class FetcherSettings(_PatchesSettings):
    """The hourly run's and the refresh-slice worker's environment."""

    patches_table: Name = Field(validation_alias=env.PATCHES_TABLE)
    state_table: Name = Field(validation_alias=env.STATE_TABLE)
    thread_queue_url: Name = Field(validation_alias=env.THREAD_QUEUE_URL)
    projects: Json[list[str]] = Field(validation_alias=env.PATCHWORK_PROJECTS)
    patchwork_url: ServiceUrl = Field(
        default=patchwork.DEFAULT_URL, validation_alias=env.PATCHWORK_URL
    )


class PlannerSettings(_PatchesSettings):
    """The daily refresh planner's environment."""

    slice_queue_url: Name = Field(validation_alias=env.SLICE_QUEUE_URL)
    projects: Json[list[str]] = Field(validation_alias=env.PATCHWORK_PROJECTS)


class DiscussionRefreshSettings(_PatchesSettings):
    """The weekly discussion refresh's environment."""

    patches_table: Name = Field(validation_alias=env.PATCHES_TABLE)
    thread_queue_url: Name = Field(validation_alias=env.THREAD_QUEUE_URL)


class ThreadWorkerSettings(_PatchesSettings):
    """The thread worker's environment."""

    patches_table: Name = Field(validation_alias=env.PATCHES_TABLE)
    discussions_table: Name = Field(validation_alias=env.DISCUSSIONS_TABLE)
    state_table: Name = Field(validation_alias=env.STATE_TABLE)
    bodies_bucket: Name = Field(validation_alias=env.MESSAGE_BODIES_BUCKET)
    lore_url: ServiceUrl = Field(default=lore.DEFAULT_URL, validation_alias=env.LORE_URL)


@cache
def api_settings() -> ApiSettings:
    return from_environment(ApiSettings)


@cache
def fetcher_settings() -> FetcherSettings:
    return from_environment(FetcherSettings)


@cache
def planner_settings() -> PlannerSettings:
    return from_environment(PlannerSettings)


@cache
def discussion_refresh_settings() -> DiscussionRefreshSettings:
    return from_environment(DiscussionRefreshSettings)


@cache
def thread_worker_settings() -> ThreadWorkerSettings:
    return from_environment(ThreadWorkerSettings)


@cache
def _patches(table: str) -> PatchRepository:
    return PatchRepository(aws.dynamodb().Table(table))


@cache
def _s3() -> S3Client:
    # shared.aws has no S3 client (no other system stores objects): built the same way.
    return boto3.session.Session().client("s3", config=aws.BOTO_CONFIG)


@cache
def _discussions(table: str, bucket: str, inline_body_max_bytes: int) -> DiscussionRepository:
    return DiscussionRepository(
        aws.dynamodb().Table(table), BodyStore(_s3(), bucket), inline_body_max_bytes
    )


def patches() -> PatchRepository:
    """The read API's patches."""
    return _patches(api_settings().patches_table)


def discussions() -> DiscussionRepository:
    """The read API's discussions."""
    settings = api_settings()
    return _discussions(
        settings.discussions_table, settings.bodies_bucket, settings.config.inline_body_max_bytes
    )


def projects() -> list[str]:
    """The projects the hourly run fetches."""
    return list(fetcher_settings().projects)


def slice_queue() -> WorkQueue:
    """The planner's queue of refresh slices."""
    return WorkQueue(aws.sqs(), planner_settings().slice_queue_url)


def discussion_refresh_patches() -> PatchRepository:
    """The patches whose threads the weekly refresh queues."""
    return _patches(discussion_refresh_settings().patches_table)


def discussion_refresh_queue() -> WorkQueue:
    """The thread queue the weekly refresh fills."""
    return WorkQueue(aws.sqs(), discussion_refresh_settings().thread_queue_url)


def metrics() -> Metrics:
    return Metrics(namespace=names.PATCHES_METRICS_NAMESPACE, service=names.PATCHES_METRICS_SERVICE)


def _breaker(service: str, state_table: str, config: IngesterConfig) -> CircuitBreaker:
    return CircuitBreaker(
        aws.dynamodb().Table(state_table),
        service,
        BreakerSettings(
            failures=config.breaker_failures,
            cooldown_seconds=config.breaker_cooldown_seconds,
            trial_seconds=config.breaker_trial_seconds,
        ),
    )


def fetch_deps(run_metrics: Metrics) -> FetchDeps:
    """A fetcher's dependencies, with a fresh Patchwork client and breaker for the run."""
    settings = fetcher_settings()
    config = settings.config
    patchwork_breaker = _breaker(names.PATCHWORK, settings.state_table, config)
    transport = ServiceClient(
        names.PATCHWORK,
        settings.patchwork_url,
        breaker=patchwork_breaker,
        rate_limit=config.patchwork_rate_limit,
        observe=observe_api_calls(run_metrics),
    )
    return FetchDeps(
        patchwork=patchwork.PatchworkClient(transport, config.page_size),
        patches=_patches(settings.patches_table),
        cursors=Cursors(aws.dynamodb().Table(settings.state_table)),
        threads=WorkQueue(aws.sqs(), settings.thread_queue_url),
        breaker=patchwork_breaker,
        config=config,
        log=logger(names.PATCHES_METRICS_SERVICE),
    )


def thread_deps(run_metrics: Metrics) -> tuple[ThreadDeps, CircuitBreaker]:
    """The thread worker's dependencies and its lore breaker, fresh for the batch."""
    settings = thread_worker_settings()
    config = settings.config
    lore_breaker = _breaker(names.LORE, settings.state_table, config)
    transport = ServiceClient(
        names.LORE,
        settings.lore_url,
        breaker=lore_breaker,
        rate_limit=config.lore_rate_limit,
        observe=observe_api_calls(run_metrics),
    )
    deps = ThreadDeps(
        lore=lore.LoreClient(transport, config.lore_inbox),
        discussions=_discussions(
            settings.discussions_table, settings.bodies_bucket, config.inline_body_max_bytes
        ),
        patches=_patches(settings.patches_table),
        log=logger(names.PATCHES_METRICS_SERVICE),
    )
    return deps, lore_breaker


def reset() -> None:
    """Drop every built dependency, the settings and cached clients (tests)."""
    api_settings.cache_clear()
    fetcher_settings.cache_clear()
    planner_settings.cache_clear()
    discussion_refresh_settings.cache_clear()
    thread_worker_settings.cache_clear()
    _patches.cache_clear()
    _discussions.cache_clear()
    _s3.cache_clear()
    aws.reset_clients()
