"""patches on the local stack as a user runs it (``make dev``): the hourly fetch invoked, the
thread worker fed by its queue, the read API behind its key; a thread that always fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.patches import names
from chalicelib.patches.work import ThreadPatch, ThreadRequest
from devstack.services.events.schedules import scheduled_event
from shared.names import physical
from tests.e2e.support import aws, wait_for

pytestmark = pytest.mark.e2e
DEMO_PATCHES = 21
DEMO_MESSAGES = 13 + 11 + 9 + 3 * 2  # one malformed message left out


@pytest.fixture(scope="module")
def fetched(local_stack: dict[str, Any]) -> dict[str, Any]:
    """The hourly fetch invoked now, as ``make invoke APP=patches FN=fetch_recent_patches``
    does (a scheduled event), and the thread worker done with what it queued."""
    rule = "arn:aws:events:eu-north-1:000000000000:rule/manual-invoke"
    answer = aws(local_stack, "lambda").invoke(
        FunctionName=physical("patches-fetch-recent-patches", "dev"),
        Payload=json.dumps(scheduled_event(rule, "eu-north-1", datetime.now(UTC))).encode(),
    )
    result: dict[str, Any] = json.loads(answer["Payload"].read())
    dynamodb = aws(local_stack, "dynamodb")
    wait_for(
        lambda: (
            dynamodb.scan(TableName=physical("discussions", "dev"), Select="COUNT")["Count"]
            == DEMO_MESSAGES
        )
    )
    return result


def api(local_stack: dict[str, Any], path: str, key: bool = True, **params: Any) -> Any:
    headers = {"x-api-key": local_stack["api_keys"]["patches"]} if key else {}
    return requests.get(
        f"{local_stack['apps']['patches']}{path}", params=params, headers=headers, timeout=10
    )


def test_the_hourly_fetch_stores_the_demo_patches_and_their_threads(
    local_stack: dict[str, Any], fetched: dict[str, Any]
) -> None:
    assert fetched["projects"] == {"linux-kselftest": "fetched"}
    assert (fetched["new"], fetched["threads_queued"]) == (DEMO_PATCHES, 6)
    count = aws(local_stack, "dynamodb").scan(TableName=physical("patches", "dev"), Select="COUNT")
    assert count["Count"] == DEMO_PATCHES


def test_the_read_api_serves_them_with_the_key(
    local_stack: dict[str, Any], fetched: dict[str, Any]
) -> None:
    listing = api(local_stack, "/patches", state="new")
    thread = api(local_stack, "/patches/1001/discussions", limit=100)
    patch = api(local_stack, "/patches/1001")

    assert listing.status_code == 200, listing.text
    assert len(listing.json()["items"]) == 10
    assert thread.status_code == 200, thread.text
    assert len(thread.json()["items"]) == 13
    assert patch.json()["discussion"]["messages"] == 13


def test_without_the_key_403_and_a_bad_parameter_400_in_the_shared_shape(
    local_stack: dict[str, Any],
) -> None:
    refused = api(local_stack, "/patches", key=False, state="new")
    bad = api(local_stack, "/patches", state="new", limit="many")

    assert refused.status_code == 403
    assert bad.status_code == 400
    body = bad.json()
    assert (body["status"], body["error_code"]) == ("error", "INVALID_QUERY")
    assert body["errors"][0]["parameter"] == "limit"


def test_a_thread_that_always_fails_is_in_the_dlq_after_three_receives(
    local_stack: dict[str, Any],
) -> None:
    msgid = "always-refused@example.org"
    armed = requests.post(
        local_stack["fault_controls"]["lore"],
        json={"path_contains": msgid, "status": 403, "times": 10},
        timeout=10,
    )
    assert armed.status_code == 201
    sqs = aws(local_stack, "sqs")
    queue = sqs.get_queue_url(QueueName=physical(names.THREAD_QUEUE_NAME, "dev"))["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=physical(names.THREAD_DLQ_NAME, "dev"))["QueueUrl"]
    request = ThreadRequest(
        project="linux-kselftest", msgid=msgid, patches=(ThreadPatch(id="1", msgid=msgid),)
    )
    sqs.send_message(QueueUrl=queue, MessageBody=request.model_dump_json())

    (dead,) = wait_for(
        lambda: sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"]).get("Messages")
    )

    assert json.loads(dead["Body"])["msgid"] == msgid
    assert dead["Attributes"]["ApproximateReceiveCount"] == "4"  # 3 on the queue, 1 here
    console = (Path(local_stack["logs"]).parent / "output.log").read_text()
    assert console.count("failed (receive") >= 3
