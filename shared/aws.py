"""Lazily built, cached boto3 clients with the retry policy every function uses.

Nothing is built at import time, so cold starts stay fast and tests can swap the clients
(``reset_clients()`` after moto starts). boto3 reads ``AWS_ENDPOINT_URL`` itself, which is how
the local stack points every client at the moto server.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBServiceResource
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

# "standard" retries throttling and 5xx with exponential backoff and jitter; timeouts are well
# under the Lambda timeout so a hung connection becomes a retry instead of a dead invocation.
BOTO_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=3,
    read_timeout=10,
)


@cache
def _session() -> boto3.session.Session:
    # One session per process: botocore parses each service's model once, not per client.
    return boto3.session.Session()


@cache
def dynamodb() -> DynamoDBServiceResource:
    """The DynamoDB resource API (items come back as Python types, numbers as Decimal)."""
    return _session().resource("dynamodb", config=BOTO_CONFIG)


@cache
def sqs() -> SQSClient:
    """The SQS client."""
    return _session().client("sqs", config=BOTO_CONFIG)


@cache
def secretsmanager() -> SecretsManagerClient:
    """The Secrets Manager client."""
    return _session().client("secretsmanager", config=BOTO_CONFIG)


def reset_clients() -> None:
    """Forget the cached clients, so the next call reads the environment again (endpoint,
    region): tests and the local stack call it after changing either."""
    dynamodb.cache_clear()
    sqs.cache_clear()
    secretsmanager.cache_clear()
