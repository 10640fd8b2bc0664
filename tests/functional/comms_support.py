"""What the comms processor tests share: a channel's processor invoked as Lambda would, with
real SQS events from its queue in the dev stack (moto), context objects queued exactly as the
router queues them, and its conversation records."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
import chalice.test
import pytest
from chalice.local import LambdaContext
from chalice.test import Client

from chalicelib.comms import names
from chalicelib.comms.context import build_context, conversation_id_for
from chalicelib.comms.dispatch import ChannelQueues
from chalicelib.comms.names import CHANNELS, channel_dlq, channel_queue
from devstack.mocks import MotoMocks
from devstack.profiles.comms import DEMO_COMPANY_ID, DEMO_PROJECT_ID, demo_company_config
from devstack.services.awslambda.apps import load_app
from devstack.services.sqs.delivery import Delivery, deliver_once
from infra.registry import app_dir
from shared import aws
from shared.names import physical
from tests.conftest import REGION
from tests.functional.conftest import STACK, drain, sqs_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

PHONE = "+447700900123"
EMAIL = "lee@example.com"
# The processors' timeout (.chalice/config.json), which their calls are planned against.
PROCESSOR_TIMEOUT_SECONDS = 90


def openai_attempts(function_timeout: float = PROCESSOR_TIMEOUT_SECONDS) -> int:
    """How many times a processor asks OpenAI for one answer in an invocation given the
    function's whole timeout (``ai.py`` plans its attempts against the time left)."""
    from chalicelib.comms import ai
    from chalicelib.comms.budget import Budget
    from chalicelib.comms.retry import longest_wait
    from chalicelib.comms.sending import SEND_RESERVE_SECONDS

    budget = Budget(lambda: function_timeout).keeping(SEND_RESERVE_SECONDS)
    wait = longest_wait(ai.MAX_RETRY_AFTER_SECONDS)
    return budget.plan("a draft", ai.TIMEOUT_SECONDS, ai.ATTEMPTS, wait).attempts


def store_secrets(secrets: dict[str, dict[str, str]], declared: str) -> None:
    """Store secret values: ``declared`` (the OpenAI key's) exists already, the program
    declares it; the per-company credentials are created, as operators create them."""
    client = boto3.client("secretsmanager", region_name=REGION)
    for name, value in secrets.items():
        if name == declared:
            client.put_secret_value(SecretId=name, SecretString=json.dumps(value))
        else:
            client.create_secret(Name=name, SecretString=json.dumps(value))


def conversations_table() -> Any:
    return boto3.resource("dynamodb", region_name=REGION).Table(
        physical(names.CONVERSATIONS_TABLE.base_name, STACK)
    )


@dataclass
class ChannelProcessor:
    channel: str
    client: Client
    queue_url: str
    queue_arn: str
    dlq_url: str

    def enqueue(
        self, project_data: dict[str, Any] | None = None, **recipient: Any
    ) -> dict[str, Any]:
        """Queue a context object exactly as the router builds and sends it."""
        context = self.context(project_data, **recipient)
        ChannelQueues(sqs_client(), {self.channel: self.queue_url}).send(self.channel, context)
        return context

    def context(
        self, project_data: dict[str, Any] | None = None, **recipient: Any
    ) -> dict[str, Any]:
        """A context object for this channel, as the router builds it (not queued)."""
        request_id = str(uuid.uuid4())
        body = {
            "company_data": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID},
            "recipient_data": {
                "recipient_first_name": "Lee",
                "recipient_tel": PHONE,
                "comms_consent": True,
                **recipient,
            },
            "project_data": project_data or {"jobRole": "Healthcare Assistant"},
            "request_data": {
                "request_id": request_id,
                "channel_method": self.channel,
                "initial_request_timestamp": "2026-11-23T08:00:00Z",
            },
        }
        return build_context(
            body,
            demo_company_config(),
            conversation_id_for(DEMO_COMPANY_ID, DEMO_PROJECT_ID, request_id),
            datetime.now(UTC),
        )

    def send_raw(self, body: str) -> str:
        """Queue ``body`` as it is; returns its SQS message id."""
        return sqs_client().send_message(QueueUrl=self.queue_url, MessageBody=body)["MessageId"]

    def deliver(self, visibility_timeout: int | None = None) -> Delivery:
        return deliver_once(
            sqs_client(),
            self.queue_url,
            self.queue_arn,
            10,
            lambda event: self.client.lambda_.invoke(f"{self.channel}_processor", event).payload,
            REGION,
            visibility_timeout,
        )

    def key(self, context: dict[str, Any]) -> dict[str, str]:
        """The conversation's record key: the address its channel sends to, and its id."""
        recipient = context["frontend_payload"]["recipient_data"]
        address = recipient["recipient_email" if self.channel == "email" else "recipient_tel"]
        return {
            "primary_channel": address,
            "conversation_id": context["conversation_data"]["conversation_id"],
        }

    def record(self, context: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = conversations_table().get_item(Key=self.key(context))["Item"]
        return item

    def status(self, context: dict[str, Any]) -> str | None:
        """The conversation's status, or None before its record exists."""
        item = conversations_table().get_item(Key=self.key(context)).get("Item")
        return None if item is None else str(item["conversation_status"])


def invocations_last(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Give every invocation ``seconds`` before Lambda would end it (the function's timeout,
    which the processors plan their outside calls against); Chalice's test client gives
    3 s, LambdaContext's default."""
    monkeypatch.setattr(
        chalice.test,
        "LambdaContext",
        lambda name, memory_size: LambdaContext(
            name, memory_size, max_runtime_ms=int(seconds * 1000)
        ),
    )


@contextmanager
def channel_processor(
    channel: str, dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch, **environment: str
) -> Iterator[ChannelProcessor]:
    """The comms app with the environment the program gives ``channel``'s processor (plus
    ``environment``: where the fakes are), its queue and DLQ empty, the demo company stored,
    and every dependency built afresh."""
    function = physical(f"comms-{channel}-processor", STACK)
    for name, value in {**dev_stack.function_environment(function), **environment}.items():
        monkeypatch.setenv(name, value)
    invocations_last(
        monkeypatch, dev_stack.named("aws:lambda/function:Function", function).inputs["timeout"]
    )
    monkeypatch.setenv("RETRY_BASE_SECONDS", "0.01")
    module = load_app("comms")
    from chalicelib.comms import processor_wiring, wiring

    wiring.reset()
    processor_wiring.reset()
    queue = dev_stack.named("aws:sqs/queue:Queue", physical(channel_queue(channel), STACK))  # type: ignore[arg-type]
    dlq = dev_stack.named("aws:sqs/queue:Queue", physical(channel_dlq(channel), STACK))  # type: ignore[arg-type]
    for url in (queue.outputs["url"], dlq.outputs["url"]):
        drain(url)
    boto3.resource("dynamodb", region_name=REGION).Table(
        physical(names.COMPANY_DATA_TABLE.base_name, STACK)
    ).put_item(Item=demo_company_config())
    with Client(module.app, stage_name="package", project_dir=str(app_dir("comms"))) as client:
        yield ChannelProcessor(
            channel, client, queue.outputs["url"], queue.outputs["arn"], dlq.outputs["url"]
        )
    wiring.reset()
    processor_wiring.reset()


def api_environment(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch to the environment the program gives the API handler (the callback routes)."""
    for name, value in dev_stack.function_environment(physical("comms-api-handler", STACK)).items():
        monkeypatch.setenv(name, value)


def logged(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The JSON lines the function has logged so far (its log group in AWS, its log file on
    the local stack)."""
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def closed_port_url() -> str:
    """A loopback address nothing listens on: a connection to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """``condition()`` once it is truthy (polled every 0.1 s)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)
    return value


def queue_urls(stack: MotoMocks) -> dict[str, str]:
    return {
        channel: stack.named(
            "aws:sqs/queue:Queue", physical(channel_queue(channel), STACK)
        ).outputs["url"]
        for channel in CHANNELS
    }


@cache
def company_data() -> Table:
    return boto3.resource("dynamodb", region_name=REGION).Table(physical("company-data", STACK))


def comms_app(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """What a comms module's ``comms`` fixture yields: the comms app with the router's
    environment from the program, empty queues and the demo company stored."""
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
