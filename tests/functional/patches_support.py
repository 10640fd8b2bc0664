"""What the patches functional tests share: the program's environment for every patches
function, the fakes of Patchwork and lore, empty tables and queues, and ways to fire a
schedule or deliver a queue through the Chalice app as AWS would."""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.patches import env, names
from devstack.fakes.lore import FakeLore
from devstack.fakes.patchwork import FakePatchwork
from devstack.mocks import MotoMocks
from devstack.profiles.patches import DemoProject, demo_project
from devstack.services.awslambda.apps import load_app
from devstack.services.sqs.delivery import Delivery, deliver_once
from infra.registry import app_dir
from shared import aws
from shared.names import physical
from tests.conftest import REGION
from tests.functional.conftest import STACK, drain, sqs_client

PROJECT = "linux-kselftest"  # the dev stack's project (the settings' default)
FUNCTIONS = (
    "api-handler",
    "fetch-recent-patches",
    "refresh-patches",
    "refresh-discussions",
    "refresh-slice",
    "refresh-threads",
)
TABLE_KEYS = {
    names.PATCHES_TABLE.base_name: ["id"],
    names.DISCUSSIONS_TABLE.base_name: ["id", "timestamp"],
    names.PATCHES_STATE_TABLE.base_name: ["state_key"],
}


def table(base_name: str) -> Any:
    return boto3.resource("dynamodb", region_name=REGION).Table(physical(base_name, STACK))


def items(base_name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    query: dict[str, Any] = {}
    while True:
        page = table(base_name).scan(**query)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return found
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def empty(base_name: str) -> None:
    keys = TABLE_KEYS[base_name]
    with table(base_name).batch_writer() as batch:
        for item in items(base_name):
            batch.delete_item(Key={k: item[k] for k in keys})


@dataclass
class Queue:
    url: str
    arn: str
    dlq_url: str


def queue(stack: MotoMocks, base_name: str, dlq_base_name: str) -> Queue:
    found = stack.named("aws:sqs/queue:Queue", physical(base_name, STACK))
    dlq = stack.named("aws:sqs/queue:Queue", physical(dlq_base_name, STACK))
    return Queue(found.outputs["url"], found.outputs["arn"], dlq.outputs["url"])


@dataclass
class PatchesApp:
    client: Client
    patchwork: FakePatchwork
    lore: FakeLore
    threads: Queue
    slices: Queue
    variables: dict[str, str]

    def fire(self, handler: str) -> Any:
        """Invoke a scheduled handler as EventBridge does."""
        event = self.client.events.generate_cw_event(
            source="aws.events",
            detail_type="Scheduled Event",
            detail={},
            resources=[f"arn:aws:events:{REGION}:000000000000:rule/{handler}"],
        )
        return self.client.lambda_.invoke(handler, event).payload

    def deliver(
        self, which: Queue, handler: str, batch_size: int = 10, visibility: int | None = 0
    ) -> Delivery:
        return deliver_once(
            sqs_client(),
            which.url,
            which.arn,
            batch_size,
            lambda event: self.client.lambda_.invoke(handler, event).payload,
            REGION,
            visibility,
        )

    def drain_threads(self, rounds: int = 20) -> list[Delivery]:
        """Run the thread worker until its queue is empty (each failed message comes back at
        once)."""
        deliveries = []
        for _ in range(rounds):
            delivery = self.deliver(self.threads, "refresh_threads")
            if not delivery.received:
                break
            deliveries.append(delivery)
        return deliveries

    def hold_demo(self, at: datetime | None = None) -> DemoProject:
        """The local stack's demo project, in both fakes."""
        demo = demo_project(PROJECT, at or now())
        self.patchwork.add(demo.patches)
        for thread in demo.threads:
            self.lore.add_thread(thread)
        return demo

    def queued(self, which: Queue) -> list[dict[str, Any]]:
        return [json.loads(m["Body"]) for m in drain(which.url)]


def program_environment(stack: MotoMocks) -> dict[str, str]:
    """Every patches function's environment in one (no variable differs between them)."""
    merged: dict[str, str] = {}
    for function in FUNCTIONS:
        merged |= stack.function_environment(physical(f"patches-{function}", STACK))
    return merged


def running_patches_app(
    dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch
) -> Generator[PatchesApp, None, None]:
    """The patches app with the program's environment, fresh fakes, and empty tables,
    queues and breakers (each test module's ``patches_app`` fixture yields from it)."""
    variables = program_environment(dev_stack)
    # The fakes need no politeness: the rate limits have their own test (test_patches_clients).
    config = json.loads(variables[env.INGESTER_CONFIG])
    variables[env.INGESTER_CONFIG] = json.dumps(
        config | {"patchworkRateLimit": "1000/second", "loreRateLimit": "1000/second"}
    )
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    patchwork, lore = FakePatchwork(), FakeLore()
    patchwork.start()
    lore.start()
    monkeypatch.setenv(env.PATCHWORK_URL, patchwork.url)
    monkeypatch.setenv(env.LORE_URL, lore.url)
    for base_name in TABLE_KEYS:
        empty(base_name)
    threads = queue(dev_stack, names.THREAD_QUEUE_NAME, names.THREAD_DLQ_NAME)
    slices = queue(dev_stack, names.SLICE_QUEUE_NAME, names.SLICE_DLQ_NAME)
    for url in (threads.url, threads.dlq_url, slices.url, slices.dlq_url):
        drain(url)
    module = load_app("patches")
    from chalicelib.patches import wiring

    wiring.reset()
    with Client(module.app, stage_name="package", project_dir=str(app_dir("patches"))) as client:
        yield PatchesApp(client, patchwork, lore, threads, slices, variables)
    wiring.reset()
    aws.reset_clients()
    patchwork.stop()
    lore.stop()


def emitted_metrics(output: str) -> dict[str, list[float]]:
    """Every EMF metric value printed, by metric name."""
    values: dict[str, list[float]] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == names.PATCHES_METRICS_NAMESPACE
            assert directive["Dimensions"] == [["service"]]
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
        assert blob["service"] == names.PATCHES_METRICS_SERVICE
    return values


def logged(output: str, message: str) -> list[dict[str, Any]]:
    """The structured log lines with this message."""
    return [
        entry
        for entry in (json.loads(line) for line in output.splitlines() if line.startswith("{"))
        if entry.get("message") == message
    ]


def now() -> datetime:
    return datetime.now(UTC)
