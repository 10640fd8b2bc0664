"""The dev stack provisioned in moto by the Pulumi program itself, and the apps on top."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.comms.names import CHANNELS, channel_queue
from devstack.mocks import MotoMocks
from devstack.profiles.comms import demo_company_config
from devstack.program import run_program
from devstack.services.awslambda.apps import load_app
from infra.registry import app_dir
from shared import aws
from shared.names import physical
from tests.conftest import REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_sqs import SQSClient

STACK = "dev"


@pytest.fixture(scope="module")
def dev_stack(built_packages: Path) -> Iterator[MotoMocks]:
    """One moto account per test module, holding what ``infra/__main__.py`` declares."""
    with mock_aws():
        yield run_program(STACK, MotoMocks(REGION))  # type: ignore[misc]


def queue_urls(stack: MotoMocks) -> dict[str, str]:
    return {
        channel: stack.named(
            "aws:sqs/queue:Queue", physical(channel_queue(channel), STACK)
        ).outputs["url"]
        for channel in CHANNELS
    }


@cache
def sqs_client() -> SQSClient:
    return boto3.client("sqs", region_name=REGION)


@cache
def company_data() -> Table:
    return boto3.resource("dynamodb", region_name=REGION).Table(physical("company-data", STACK))


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


@pytest.fixture
def comms(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """The comms app with the router's environment from the program, empty queues and the
    demo company stored."""
    for name, value in dev_stack.function_environment(physical("comms-api-handler", STACK)).items():
        monkeypatch.setenv(name, value)
    module = load_app("comms")
    from chalicelib.comms import wiring

    wiring.reset()
    for url in queue_urls(dev_stack).values():
        drain(url)
    table = company_data()
    for item in table.scan()["Items"]:
        table.delete_item(Key={"company_id": item["company_id"], "project_id": item["project_id"]})
    table.put_item(Item=demo_company_config())
    with Client(module.app, stage_name="package", project_dir=str(app_dir("comms"))) as client:
        yield client
    wiring.reset()
    aws.reset_clients()
