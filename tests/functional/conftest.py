"""The dev stack provisioned in moto by the Pulumi program itself (the systems a module names),
and what every system's tests use on it; each system's own fixtures live in its
``<system>_support.py``."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from devstack.mocks import MotoMocks
from devstack.program import run_program
from tests.conftest import REGION

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

STACK = "dev"


@pytest.fixture(scope="module")
def dev_stack(built_packages: Path, request: pytest.FixtureRequest) -> Iterator[MotoMocks]:
    """One moto account per test module, holding what the program declares: for the systems
    the module names with ``pytestmark = pytest.mark.systems("x")`` alone (one system's tests
    never build, nor wait for, another's resources), for every system when it names none
    (the tests of what the systems share)."""
    marker = request.node.get_closest_marker("systems")
    systems = marker.args if marker else None
    with mock_aws():
        yield run_program(STACK, MotoMocks(REGION), systems=systems)  # type: ignore[misc]


@cache
def sqs_client() -> SQSClient:
    return boto3.client("sqs", region_name=REGION)


def drain(url: str) -> list[dict[str, Any]]:
    """Take every message off a queue (received, then deleted) and return them."""
    sqs = sqs_client()
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(dict(message) for message in batch)
