"""The thread worker through the Chalice app, fed by the thread queue the program declares in
moto (as the event source mapping feeds it), against the fake lore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from chalicelib.patches import env, names
from chalicelib.patches.discussion_repository import body_key
from chalicelib.patches.work import ThreadPatch, ThreadRequest
from devstack.fakes.base import Fault
from devstack.fakes.lore import mail
from devstack.mocks import MotoMocks
from tests.conftest import REGION
from tests.functional.conftest import sqs_client
from tests.functional.patches_support import (
    PROJECT,
    PatchesApp,
    emitted_metrics,
    items,
    logged,
    now,
    running_patches_app,
    table,
)
from tests.unit.test_patches_threads import expected_order, fifty_message_thread, msgid

pytestmark = pytest.mark.systems("patches")


@pytest.fixture
def patches_app(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[PatchesApp]:
    yield from running_patches_app(dev_stack, monkeypatch)


def thread_request(msgid: str, patch_id: str) -> ThreadRequest:
    return ThreadRequest(
        project=PROJECT, msgid=msgid, patches=(ThreadPatch(id=patch_id, msgid=msgid),)
    )


def queue_thread(app: PatchesApp, request: ThreadRequest) -> None:
    sqs_client().send_message(QueueUrl=app.threads.url, MessageBody=request.model_dump_json())


def discussions() -> dict[str, dict[str, object]]:
    return {i["id"]: i for i in items(names.DISCUSSIONS_TABLE.base_name)}


def patch_item(patch_id: str) -> dict[str, object]:
    return dict(table(names.PATCHES_TABLE.base_name).get_item(Key={"id": patch_id})["Item"])


def thread_order(thread_id: str) -> list[str]:
    """The thread as ThreadIndex pages through it."""
    return [
        i["id"]
        for i in table(names.DISCUSSIONS_TABLE.base_name).query(
            IndexName=names.THREAD_INDEX.name,
            KeyConditionExpression=Key("thread_id").eq(thread_id),
        )["Items"]
    ]


def test_the_demo_threads_are_stored_linked_and_summarised_on_their_patches(
    patches_app: PatchesApp, capsys: pytest.CaptureFixture[str]
) -> None:
    patches_app.hold_demo()
    patches_app.fire("fetch_recent_patches")

    deliveries = patches_app.drain_threads()

    assert [d.failed for d in deliveries] == [[]]
    stored = discussions()
    assert len(stored) == 13 + 11 + 9 + 3 * 2  # the malformed message left out
    cover = "501.0@linux-kselftest.demo.example.org"
    first = "501.1@linux-kselftest.demo.example.org"
    review, answer, ack = (f"501.1.{t}@linux-kselftest.demo.example.org" for t in "rak")
    for reply in (first, review, answer, ack):  # replies to replies stay with patch 1
        assert stored[reply]["patch_id"] == "1001"
    assert "patch_id" not in stored[cover]
    assert stored[answer]["in_reply_to"] == review
    order = thread_order(cover)
    assert order[:5] == [cover, first, review, answer, ack]  # depth first
    assert float(stored[review]["sentiment"]) < 0 < float(stored[ack]["sentiment"])  # type: ignore[arg-type]
    assert stored[review]["excerpt"] == "This is wrong and breaks the build on arm64."
    for patch_id in (str(n) for n in range(1001, 1009)):  # the whole series, one summary
        assert patch_item(patch_id)["discussion"] == {
            "thread_id": cover,
            "messages": 13,
            "last_activity": max(
                str(stored[m]["timestamp"]) for m in stored if stored[m]["thread_id"] == cover
            ),
        }
    output = capsys.readouterr().out
    (skipped,) = logged(output, "malformed message skipped")
    assert skipped["message_id"] == "501.1.x@linux-kselftest.demo.example.org"
    assert skipped["reason"].startswith("no usable Date")
    metrics = emitted_metrics(output)
    assert metrics["MessagesMalformed"] == [1]
    assert metrics["ThreadsStored"] == [6]
    assert metrics["LoreApiCalls"] == [1] * 6
    assert metrics["LoreBreakerOpen"] == [0]


def test_a_fifty_message_thread_is_stored_depth_first_with_replies_to_replies_linked(
    patches_app: PatchesApp,
) -> None:
    raw, parents = fifty_message_thread()
    patches_app.lore.add_thread(raw)
    patch_ids = {msgid(n): str(100 + n) for n in (1, 2, 3)}
    for message_id, patch_id in patch_ids.items():
        table(names.PATCHES_TABLE.base_name).put_item(Item={"id": patch_id, "msgid": message_id})
    request = ThreadRequest(
        project=PROJECT,
        msgid=msgid(2),  # any message of the thread finds it
        patches=tuple(ThreadPatch(id=p, msgid=m) for m, p in patch_ids.items()),
    )
    queue_thread(patches_app, request)

    patches_app.drain_threads()

    assert thread_order(msgid(0)) == [msgid(n) for n in expected_order(parents)]
    stored = discussions()
    for n in range(4, 50):  # each reply belongs to the patch it (eventually) answers
        root = n
        while root > 3:
            parent = parents[root]
            assert parent is not None
            root = parent
        assert stored[msgid(n)].get("patch_id") == patch_ids.get(msgid(root)), n
    assert patch_item("102")["discussion"]["messages"] == 50  # type: ignore[index]


def test_a_thread_refreshed_again_writes_only_its_new_messages(patches_app: PatchesApp) -> None:
    demo = patches_app.hold_demo()
    patches_app.fire("fetch_recent_patches")
    patches_app.drain_threads()
    single = demo.threads[-1]
    root = "single.2@linux-kselftest.demo.example.org"
    late = mail(
        "late@example.org",
        "Re: late",
        ("Late Reviewer", "late@example.org"),
        now() + timedelta(minutes=5),
        "One more thing.\n",
        root,
        (root,),
    )
    patches_app.lore.add_thread([*single, late])
    request = thread_request(root, "1021")
    queue_thread(patches_app, request)

    patches_app.drain_threads()

    assert patch_item("1021")["discussion"]["messages"] == 3  # type: ignore[index]
    assert thread_order(root) == [
        root,
        "single.2.r@linux-kselftest.demo.example.org",
        "late@example.org",
    ]


def test_a_body_too_large_for_an_item_goes_to_s3_and_the_record_points_to_it(
    patches_app: PatchesApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = "big@example.org"
    body = "A very long patch.\n" + "x" * 120_000 + "\n"
    patches_app.lore.add_thread([mail(root, "[PATCH] big", ("A", "a@x.org"), now(), body)])
    request = thread_request(root, "5")
    table(names.PATCHES_TABLE.base_name).put_item(Item={"id": "5", "msgid": root})
    queue_thread(patches_app, request)

    patches_app.drain_threads()

    record = discussions()[root]
    assert "body" not in record
    assert record["body_key"] == body_key(root)
    s3 = boto3.client("s3", region_name=REGION)
    bucket = patches_app.variables[env.MESSAGE_BODIES_BUCKET]
    stored_body = s3.get_object(Bucket=bucket, Key=body_key(root))["Body"].read().decode()
    assert stored_body.strip() == body.strip()
    assert str(record["excerpt"]).startswith("A very long patch. xxx")
    assert len(str(record["excerpt"])) == 400


def test_a_thread_lore_does_not_hold_yet_is_counted_and_not_retried(
    patches_app: PatchesApp, capsys: pytest.CaptureFixture[str]
) -> None:
    request = ThreadRequest(
        project=PROJECT,
        msgid="nowhere@x.org",
        patches=(ThreadPatch(id="9", msgid="nowhere@x.org"),),
    )
    queue_thread(patches_app, request)

    (delivery,) = patches_app.drain_threads()

    assert delivery.failed == []
    assert emitted_metrics(capsys.readouterr().out)["ThreadsNotFound"] == [1]
    assert discussions() == {}


def test_a_thread_that_always_fails_is_in_the_dlq_after_exactly_three_receives(
    patches_app: PatchesApp,
) -> None:
    patches_app.hold_demo()
    root = "single.0@linux-kselftest.demo.example.org"
    request = thread_request(root, "1")
    # lore refuses this thread every time (a 403: no retry helps, the breaker is not involved).
    patches_app.lore.fail_next(Fault(root, status=403, body={"error": "forbidden"}), times=10)
    good = "single.1@linux-kselftest.demo.example.org"
    table(names.PATCHES_TABLE.base_name).put_item(Item={"id": "2", "msgid": good})
    queue_thread(patches_app, request)
    queue_thread(patches_app, thread_request(good, "2"))

    deliveries = patches_app.drain_threads()

    failed_receives = [d.receive_counts[m] for d in deliveries for m in d.failed]
    assert failed_receives == [1, 2, 3]
    assert good.split("@")[0] in {str(i).split("@")[0] for i in discussions()}  # not held back
    (dead,) = sqs_client().receive_message(
        QueueUrl=patches_app.threads.dlq_url, AttributeNames=["All"]
    )["Messages"]
    assert json.loads(dead["Body"])["msgid"] == root


def test_an_unreadable_request_fails_alone_and_ends_in_the_dlq(patches_app: PatchesApp) -> None:
    sqs_client().send_message(QueueUrl=patches_app.threads.url, MessageBody='{"msgid": 1}')

    deliveries = patches_app.drain_threads()

    assert len(deliveries) == 3
    assert sqs_client().receive_message(QueueUrl=patches_app.threads.dlq_url).get("Messages")
