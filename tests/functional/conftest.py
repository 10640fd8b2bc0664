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

from devstack.declaration import Declaration
from devstack.mocks import MotoMocks
from devstack.program import run_program
from devstack.snapshot import SNAPSHOT_DIR, open_snapshot, save, snapshot_key
from tests.conftest import REGION

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

STACK = "dev"


# Running the program into moto is most of a module's set-up: a module that declares the
# same systems as an earlier one restores what that run made (``devstack/snapshot.py``), a
# copy of its own in its own moto, as ``make dev`` does from one start to the next.
SNAPSHOTS = SNAPSHOT_DIR / "functional"


def declared_in_moto(systems: tuple[str, ...] | None) -> Declaration:
    """What the program declares for ``systems``, created in this process's moto."""
    key = snapshot_key(STACK, {}, systems)
    kept = open_snapshot(SNAPSHOTS, key)
    if kept is not None:
        kept.restore_moto()
        return kept.declaration
    declared = run_program(STACK, MotoMocks(REGION), systems=systems)
    save(SNAPSHOTS, key, declared)
    return declared


@pytest.fixture(scope="module")
def dev_stack(built_packages: Path, request: pytest.FixtureRequest) -> Iterator[Declaration]:
    """One moto account per test module, holding what the program declares: for the systems
    the module names with ``pytestmark = pytest.mark.systems("x")`` alone (one system's tests
    never build, nor wait for, another's resources), for every system when it names none
    (the tests of what the systems share)."""
    marker = request.node.get_closest_marker("systems")
    systems = marker.args if marker else None
    with mock_aws():
        yield declared_in_moto(systems)


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
