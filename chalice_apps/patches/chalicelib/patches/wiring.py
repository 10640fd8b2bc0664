"""Builds the handlers' dependencies from the environment the Pulumi program sets, once per
warm function (clients and breakers once per invocation, so each run starts from the
breaker's stored state and its own rate-limit window).

Lazy on purpose: importing the app builds nothing, so tests can call ``reset()`` after
pointing boto3 elsewhere.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools import Metrics

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
from shared.env import require
from shared.errors import ConfigurationError
from shared.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client


@cache
def config() -> IngesterConfig:
    return IngesterConfig.model_validate_json(require(env.INGESTER_CONFIG))


def projects() -> list[str]:
    value = json.loads(require(env.PATCHWORK_PROJECTS))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{env.PATCHWORK_PROJECTS} is not a JSON list of projects")
    return value


def _table(variable: str) -> Table:
    return aws.dynamodb().Table(require(variable))


@cache
def patches() -> PatchRepository:
    return PatchRepository(_table(env.PATCHES_TABLE))


@cache
def _s3() -> S3Client:
    # shared.aws has no S3 client (no other system stores objects): built the same way.
    return boto3.session.Session().client("s3", config=aws.BOTO_CONFIG)


@cache
def discussions() -> DiscussionRepository:
    return DiscussionRepository(
        _table(env.DISCUSSIONS_TABLE),
        BodyStore(_s3(), require(env.MESSAGE_BODIES_BUCKET)),
        config().inline_body_max_bytes,
    )


def _queue(variable: str) -> WorkQueue:
    return WorkQueue(aws.sqs(), require(variable))


def thread_queue() -> WorkQueue:
    return _queue(env.THREAD_QUEUE_URL)


def slice_queue() -> WorkQueue:
    return _queue(env.SLICE_QUEUE_URL)


def metrics() -> Metrics:
    return Metrics(namespace=names.PATCHES_METRICS_NAMESPACE, service=names.PATCHES_METRICS_SERVICE)


def breaker(service: str) -> CircuitBreaker:
    settings = config()
    return CircuitBreaker(
        _table(env.STATE_TABLE),
        service,
        BreakerSettings(
            failures=settings.breaker_failures,
            cooldown_seconds=settings.breaker_cooldown_seconds,
            trial_seconds=settings.breaker_trial_seconds,
        ),
    )


def fetch_deps(run_metrics: Metrics) -> FetchDeps:
    """A fetcher's dependencies, with a fresh Patchwork client and breaker for the run."""
    settings = config()
    patchwork_breaker = breaker(names.PATCHWORK)
    transport = ServiceClient(
        names.PATCHWORK,
        os.environ.get(env.PATCHWORK_URL) or patchwork.DEFAULT_URL,
        breaker=patchwork_breaker,
        rate_limit=settings.patchwork_rate_limit,
        observe=observe_api_calls(run_metrics),
    )
    return FetchDeps(
        patchwork=patchwork.PatchworkClient(transport, settings.page_size),
        patches=patches(),
        cursors=Cursors(_table(env.STATE_TABLE)),
        threads=thread_queue(),
        breaker=patchwork_breaker,
        config=settings,
        log=logger(names.PATCHES_METRICS_SERVICE),
    )


def thread_deps(run_metrics: Metrics) -> tuple[ThreadDeps, CircuitBreaker]:
    """The thread worker's dependencies and its lore breaker, fresh for the batch."""
    settings = config()
    lore_breaker = breaker(names.LORE)
    transport = ServiceClient(
        names.LORE,
        os.environ.get(env.LORE_URL) or lore.DEFAULT_URL,
        breaker=lore_breaker,
        rate_limit=settings.lore_rate_limit,
        observe=observe_api_calls(run_metrics),
    )
    deps = ThreadDeps(
        lore=lore.LoreClient(transport, settings.lore_inbox),
        discussions=discussions(),
        patches=patches(),
        log=logger(names.PATCHES_METRICS_SERVICE),
    )
    return deps, lore_breaker


def reset() -> None:
    """Drop every built dependency and cached client (tests)."""
    config.cache_clear()
    patches.cache_clear()
    discussions.cache_clear()
    _s3.cache_clear()
    aws.reset_clients()
