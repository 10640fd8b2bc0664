"""The WhatsApp and SMS processors, invoked as Lambda would with real SQS events, against the
dev stack in moto and wire-level fakes of OpenAI and Twilio (driven by the real SDKs)."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from chalicelib.comms import names
from devstack.fakes.base import Fault
from devstack.fakes.openai import FakeOpenAI, openai_error
from devstack.fakes.twilio import FakeTwilio, twilio_error
from devstack.mocks import MotoMocks
from devstack.profiles.comms import (
    DEMO_COMPANY_ID,
    DEMO_TWILIO_ACCOUNT_SID,
    demo_company_config,
    demo_secrets,
)
from shared.aws import BOTO_CONFIG
from shared.names import physical
from tests.functional.comms_support import (
    PHONE,
    ChannelProcessor,
    api_environment,
    channel_processor,
    closed_port_url,
    conversations_table,
    invocations_last,
    logged,
    openai_attempts,
    store_secrets,
    wait_for,
)
from tests.functional.conftest import STACK, drain, sqs_client

pytestmark = pytest.mark.systems("comms")

# TwilioSender's attempts at one request (its 10 s timeout fits four times in 90 s).
TWILIO_ATTEMPTS = 4
# Distinctive values: no captured log line may ever contain them.
AUTH_TOKEN = "twilio-auth-token-7f3c"
OPENAI_KEY = "sk-openai-key-91ab"


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeOpenAI, FakeTwilio]]:
    openai, twilio = FakeOpenAI({OPENAI_KEY}), FakeTwilio({DEMO_TWILIO_ACCOUNT_SID: AUTH_TOKEN})
    openai.start()
    twilio.start()
    yield openai, twilio
    openai.stop()
    twilio.stop()


@pytest.fixture(scope="module")
def stored_secrets(dev_stack: MotoMocks) -> None:
    openai_secret = physical(names.OPENAI_SECRET, STACK)
    store_secrets(demo_secrets(openai_secret, AUTH_TOKEN, OPENAI_KEY), declared=openai_secret)


@dataclass
class Processor(ChannelProcessor):
    openai: FakeOpenAI
    twilio: FakeTwilio

    def record_by_key(self, record: dict[str, Any]) -> dict[str, Any]:
        key = {k: record[k] for k in ("primary_channel", "conversation_id")}
        item: dict[str, Any] = conversations_table().get_item(Key=key)["Item"]
        return item

    def fake_for(self, fault: Fault) -> FakeOpenAI | FakeTwilio:
        """The fake whose API the fault is for."""
        return self.openai if "/v1/" in fault.path_contains else self.twilio

    def attempts_at(self, fault: Fault) -> int:
        """How many calls one invocation makes to the fault's API before it gives up."""
        return openai_attempts() if self.fake_for(fault) is self.openai else TWILIO_ATTEMPTS

    def sent_to(self, to: str) -> list[dict[str, Any]]:
        return [m for m in self.twilio.messages if m["to"].endswith(to)]

    def twilio_creates(self) -> int:
        """How many message creates Twilio has been asked for (faults included)."""
        return sum(
            r["method"] == "POST" and r["path"].endswith("/Messages.json")
            for r in self.twilio.requests
        )


@pytest.fixture(params=["whatsapp", "sms"])
def processor(
    request: pytest.FixtureRequest,
    dev_stack: MotoMocks,
    stored_secrets: None,
    fakes: tuple[FakeOpenAI, FakeTwilio],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Processor]:
    openai, twilio = fakes
    twilio.messages.clear()
    openai.faults.clear()
    twilio.faults.clear()
    with channel_processor(
        request.param,
        dev_stack,
        monkeypatch,
        OPENAI_BASE_URL=f"{openai.url}/v1",
        TWILIO_API_BASE_URL=twilio.url,
    ) as queued:
        yield Processor(**vars(queued), openai=openai, twilio=twilio)
    output = capsys.readouterr()
    for secret in (AUTH_TOKEN, OPENAI_KEY):
        assert secret not in output.out + output.err, "a secret value was logged"


def test_a_context_becomes_a_sent_first_message_and_a_complete_record(
    processor: Processor,
) -> None:
    context = processor.enqueue()

    delivery = processor.deliver()

    assert delivery.failed == []
    (message,) = processor.sent_to(PHONE)
    record = processor.record(context)
    assert record["conversation_status"] == "initial_message_sent"
    assert record["message_sid"] == message["sid"]
    assert record["company_id"] == DEMO_COMPANY_ID
    assert record["channel_method"] == processor.channel
    assert record["processing_time_ms"] >= 0
    assert record["ai_conversation_id"] in processor.openai.conversations
    assert record["messages"][0]["message_sid"] == message["sid"]
    assert message["account_sid"] == DEMO_TWILIO_ACCOUNT_SID
    assert message["status_callback"].endswith(
        f"/twilio/status?primary_channel=%2B447700900123&conversation_id="
        f"{context['conversation_data']['conversation_id']}"
    )
    whatsapp = demo_company_config()["channel_config"][processor.channel]
    if processor.channel == "whatsapp":
        assert message["from"] == f"whatsapp:{whatsapp['company_whatsapp_number']}"
        assert message["to"] == f"whatsapp:{PHONE}"
        assert message["content_sid"] == whatsapp["content_sid"]
        assert json.loads(message["content_variables"]) == {
            "1": "fake 1",
            "2": "fake 2",
            "3": "fake 3",
            "4": "fake 4",
        }
    else:
        assert message["from"] == whatsapp["company_sms_number"]
        assert message["to"] == PHONE
        assert message["body"] == "fake message"
        assert message["content_sid"] is None
    assert drain(processor.queue_url) == []


def test_the_same_message_delivered_twice_is_sent_once(processor: Processor) -> None:
    context = processor.enqueue()
    processor.send_raw(json.dumps(context))  # SQS's at-least-once delivery, made certain

    first, second = processor.deliver(), processor.deliver()

    assert first.failed == second.failed == []
    assert len(processor.sent_to(PHONE)) == 1
    assert processor.record(context)["conversation_status"] == "initial_message_sent"


def test_one_failing_message_in_a_batch_is_reported_alone(processor: Processor) -> None:
    contexts = [processor.enqueue(recipient_tel=f"+4477009001{i:02d}") for i in range(3)]
    processor.send_raw("{not a context object")
    processor.openai.fail_next(openai_error(500, "boom"), times=openai_attempts())

    delivery = processor.deliver(visibility_timeout=0)

    assert len(delivery.received) == 4
    assert len(delivery.failed) == 1
    statuses = sorted(processor.record(c)["conversation_status"] for c in contexts)
    assert statuses == ["initial_message_sent", "initial_message_sent", "processing"]
    assert len(processor.twilio.messages) == 2


@pytest.mark.parametrize(
    ("fault", "times"),
    [
        (openai_error(500, "server error"), 1),
        (openai_error(429, "rate limited"), 2),
        (twilio_error(429, 20429, "Too Many Requests"), 1),
        (twilio_error(503, 20503, "Service Unavailable"), 2),
    ],
    ids=["openai 500", "openai 429", "twilio 429", "twilio 503"],
)
def test_a_passing_fault_is_retried_inside_the_invocation(
    processor: Processor, fault: Fault, times: int
) -> None:
    context = processor.enqueue()
    target = processor.fake_for(fault)
    target.fail_next(fault, times=times)

    delivery = processor.deliver()

    assert delivery.failed == []
    assert len(processor.sent_to(PHONE)) == 1
    assert processor.record(context)["conversation_status"] == "initial_message_sent"


@pytest.mark.parametrize(
    "fault",
    [openai_error(429, "rate limited"), twilio_error(429, 20429, "Too Many Requests")],
    ids=["openai", "twilio"],
)
def test_a_lasting_fault_fails_the_message_back_and_the_redelivery_sends_once(
    processor: Processor, fault: Fault
) -> None:
    context = processor.enqueue()
    target = processor.fake_for(fault)
    target.fail_next(fault, times=processor.attempts_at(fault))

    failed = processor.deliver(visibility_timeout=0)
    retried = processor.deliver()

    assert len(failed.failed) == 1
    assert processor.sent_to(PHONE) and len(processor.sent_to(PHONE)) == 1
    assert retried.failed == []
    assert retried.receive_counts[failed.failed[0]] == 2
    assert processor.record(context)["conversation_status"] == "initial_message_sent"


def test_after_three_receives_a_failing_message_is_in_the_dlq(processor: Processor) -> None:
    context = processor.enqueue()
    processor.openai.fail_next(openai_error(500, "down"), times=3 * openai_attempts())

    deliveries = [processor.deliver(visibility_timeout=0) for _ in range(4)]

    assert [len(d.failed) for d in deliveries] == [1, 1, 1, 0]
    assert deliveries[3].received == []
    (dead,) = drain(processor.dlq_url)
    assert json.loads(dead["Body"]) == context
    assert processor.twilio.messages == []


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (twilio_error(400, 63016, "Outside the allowed window"), "63016"),
        (twilio_error(400, 63028, "Template variables mismatch"), "63028"),
        (twilio_error(400, 21211, "Invalid 'To' Phone Number"), "21211"),
        (openai_error(400, "Invalid schema"), "400"),
    ],
    ids=["twilio 63016", "twilio 63028", "twilio 21211", "openai 400"],
)
def test_a_permanent_fault_is_recorded_as_failed_and_not_retried(
    processor: Processor, fault: Fault, code: str
) -> None:
    context = processor.enqueue()
    target = processor.fake_for(fault)
    target.fail_next(fault)

    def calls() -> int:
        return sum(fault.path_contains in r["path"] for r in target.requests)

    calls_before = calls()
    delivery = processor.deliver()

    assert delivery.failed == []
    assert calls() == calls_before + 1
    record = processor.record(context)
    assert record["conversation_status"] == "failed"
    assert record["failure_code"] == code
    assert record["failure_reason"]
    assert processor.twilio.messages == []
    assert drain(processor.queue_url) == []


def _without(path: str) -> Callable[[dict[str, Any]], str]:
    """A spoiler: the context without the field at ``path`` (dotted)."""

    def spoil(context: dict[str, Any]) -> str:
        *parents, last = path.split(".")
        node = context
        for part in parents:
            node = node[part]
        del node[last]
        return json.dumps(context)

    return spoil


def _for_channel(channel: str) -> Callable[[dict[str, Any]], str]:
    def spoil(context: dict[str, Any]) -> str:
        context["frontend_payload"]["request_data"]["channel_method"] = channel
        return json.dumps(context)

    return spoil


# How a message becomes poison: its kind, and how its reason begins.
POISONS = [
    pytest.param(lambda _c: "{not json", "not_json", "the body is not JSON", id="not json"),
    pytest.param(
        lambda c: json.dumps([c]),
        "not_a_context",
        "the body is JSON but not a context object",
        id="a JSON array",
    ),
    pytest.param(
        lambda c: json.dumps({"frontend_payload": c["frontend_payload"]}),
        "not_a_context",
        "the body is JSON but not a context object",
        id="part of a context",
    ),
    pytest.param(
        _for_channel("fax"),
        "unknown_channel",
        "channel_method 'fax' is not this queue's channel",
        id="unknown channel",
    ),
    pytest.param(
        _without("frontend_payload.request_data.request_id"),
        "invalid_context",
        "the context object fails validation: "
        "frontend_payload.request_data.request_id: Field required",
        id="fails validation",
    ),
    pytest.param(
        _without("frontend_payload.recipient_data.recipient_tel"),
        "invalid_context",
        "the context has no recipient address",
        id="no address",
    ),
]


@pytest.mark.parametrize(("spoil", "kind", "reason"), POISONS)
def test_a_poison_message_goes_to_the_dlq_at_once_with_its_reason(
    processor: Processor,
    capsys: pytest.CaptureFixture[str],
    spoil: Callable[[dict[str, Any]], str],
    kind: str,
    reason: str,
) -> None:
    context = processor.context()
    body = spoil(context)
    conversation_id = context["conversation_data"]["conversation_id"]
    # Queued with the attributes the router gives every message.
    message_id = sqs_client().send_message(
        QueueUrl=processor.queue_url,
        MessageBody=body,
        MessageAttributes={
            "conversation_id": {"DataType": "String", "StringValue": conversation_id}
        },
    )["MessageId"]
    openai_calls = len(processor.openai.requests)

    delivery = processor.deliver()

    assert delivery.received == [message_id]
    assert delivery.failed == []  # done: SQS deletes it, never retried
    assert drain(processor.queue_url) == []
    (dead,) = drain(processor.dlq_url)
    assert dead["Body"] == body
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes.pop("dead_lettered_at")
    assert attributes.pop("poison_reason").startswith(reason)
    assert attributes == {
        "poison_kind": kind,
        "source_queue_arn": processor.queue_arn,
        "source_message_id": message_id,
        "conversation_id": conversation_id,
    }
    assert processor.twilio.messages == []
    assert len(processor.openai.requests) == openai_calls
    (line,) = [entry for entry in logged(capsys) if entry["level"] == "ERROR"]
    assert line["message"] == "poison message: moved to the DLQ, never retried"
    assert (line["sqs_message_id"], line["poison_kind"]) == (message_id, kind)
    assert line["reason"].startswith(reason)


def test_the_reason_of_a_poison_message_never_holds_its_values(processor: Processor) -> None:
    context = processor.context(recipient_first_name=["Lee", "+447700900555"])
    processor.send_raw(json.dumps(context))

    assert processor.deliver().failed == []

    (dead,) = drain(processor.dlq_url)
    reason = dead["MessageAttributes"]["poison_reason"]["StringValue"]
    assert "recipient_first_name" in reason
    assert "+447700900555" not in reason


def refuse_final_write() -> None:
    """Make DynamoDB refuse the processor's next final update (the one that records the
    SID) once, through botocore's own event hooks on the processor's client."""
    from botocore.exceptions import ClientError

    from chalicelib.comms import processor_wiring

    refused: list[bool] = []

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if not refused and ":message_sid" in params.get("ExpressionAttributeValues", {}):
            refused.append(True)
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "down"}}, "UpdateItem"
            )

    client = processor_wiring.processor_deps().conversations.table.meta.client
    client.meta.events.register("provide-client-params.dynamodb.UpdateItem", refuse)


def test_a_failed_final_write_logs_the_marker_and_never_resends(
    processor: Processor, capsys: pytest.CaptureFixture[str]
) -> None:
    context = processor.enqueue()
    refuse_final_write()
    delivery = processor.deliver()
    processor.send_raw(json.dumps(context))  # a duplicate the table has not caught up with
    redelivery = processor.deliver()

    assert delivery.failed == redelivery.failed == []
    (message,) = processor.sent_to(PHONE)
    lines = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if names.FINAL_UPDATE_FAILED_MARKER in line
    ]
    assert len(lines) == 1
    assert lines[0]["message"] == names.FINAL_UPDATE_FAILED_MARKER
    assert lines[0]["message_sid"] == message["sid"]
    # The duplicate found the record `sending` and Twilio's list holds the message.
    assert processor.record(context)["message_sid"] == message["sid"]


def test_the_heartbeat_keeps_a_slow_message_from_a_second_consumer(
    processor: Processor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.comms import processor_wiring

    monkeypatch.setenv("HEARTBEAT_INTERVAL_SECONDS", "0.5")
    monkeypatch.setenv("VISIBILITY_TIMEOUT_SECONDS", "2")
    processor_wiring.reset()
    processor.enqueue()
    processor.openai.fail_next(Fault("/v1/responses", status=200, delay_seconds=4.5))
    in_flight_before = int(
        sqs_client().get_queue_attributes(
            QueueUrl=processor.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
    )

    worker = threading.Thread(target=processor.deliver, kwargs={"visibility_timeout": 2})
    worker.start()
    time.sleep(3.5)  # well past the 2 s the message was received for
    attributes = sqs_client().get_queue_attributes(
        QueueUrl=processor.queue_url, AttributeNames=["All"]
    )["Attributes"]
    second_consumer = sqs_client().receive_message(QueueUrl=processor.queue_url)
    worker.join(timeout=20)

    assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) == in_flight_before + 1
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert "Messages" not in second_consumer
    assert len(processor.sent_to(PHONE)) == 1
    assert drain(processor.queue_url) == []


def filter_pattern_matches(pattern: str, line: str) -> bool:
    """CloudWatch Logs' rule for a pattern that is one quoted term: the line contains it
    (case-sensitive). Only that form is used by this repository; anything else is refused."""
    if not (len(pattern) > 2 and pattern[0] == pattern[-1] == '"' and '"' not in pattern[1:-1]):
        raise ValueError(f"not a single quoted term: {pattern}")
    return pattern[1:-1] in line


def test_the_declared_metric_filter_matches_the_line_the_processor_logs(
    processor: Processor, dev_stack: MotoMocks, capsys: pytest.CaptureFixture[str]
) -> None:
    processor.enqueue()
    processor.deliver()  # a normal send first: its lines must not match
    refuse_final_write()
    processor.enqueue(recipient_tel="+447700900999")
    processor.deliver()
    lines = capsys.readouterr().out.splitlines()

    log_group = f"/aws/lambda/{physical(f'comms-{processor.channel}-processor', STACK)}"
    (metric_filter,) = [
        f
        for f in dev_stack.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
        if f.inputs["logGroupName"] == log_group
    ]
    matching = [
        line for line in lines if filter_pattern_matches(metric_filter.inputs["pattern"], line)
    ]
    assert len(matching) == 1
    assert json.loads(matching[0])["level"] == "CRITICAL"
    other = [line for line in lines if line.startswith("{") and line not in matching]
    assert other and not any(
        filter_pattern_matches(metric_filter.inputs["pattern"], o) for o in other
    )


def post_status(
    processor: Processor, record: dict[str, Any], status: str, signature: str | None = None
) -> Any:
    """A status callback as Twilio sends it: form fields, signed over the callback URL."""
    from twilio.request_validator import RequestValidator

    url = record["status_callback_url"]
    form = {
        "MessageSid": record["message_sid"],
        "MessageStatus": status,
        "AccountSid": DEMO_TWILIO_ACCOUNT_SID,
        "To": record["primary_channel"],
    }
    signature = signature or RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    path = url[url.index("/twilio/status") :]
    return processor.client.http.post(
        path,
        body=urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )


@pytest.fixture
def sent(
    processor: Processor, dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """A conversation whose first message went out, and the API handler's environment."""
    context = processor.enqueue()
    assert processor.deliver().failed == []
    api_environment(dev_stack, monkeypatch)
    return processor.record(context)


def test_a_signed_status_callback_is_recorded(processor: Processor, sent: dict[str, Any]) -> None:
    response = post_status(processor, sent, "delivered")

    assert response.status_code == 200, response.body
    record = processor.record_by_key(sent)
    assert record["delivery_status"] == "delivered"
    assert record["conversation_status"] == "initial_message_sent"


def test_a_forged_signature_is_refused_and_changes_nothing(
    processor: Processor, sent: dict[str, Any]
) -> None:
    response = post_status(processor, sent, "delivered", signature="Zm9yZ2Vk")

    assert response.status_code == 403
    assert "delivery_status" not in processor.record_by_key(sent)


def test_a_callback_for_an_unknown_conversation_is_refused(
    processor: Processor, sent: dict[str, Any]
) -> None:
    stranger = sent | {
        "status_callback_url": sent["status_callback_url"].replace(
            sent["conversation_id"], str(uuid.uuid4())
        )
    }
    assert post_status(processor, stranger, "delivered").status_code == 403


def test_callbacks_out_of_order_keep_the_later_status(
    processor: Processor, sent: dict[str, Any]
) -> None:
    answers = [post_status(processor, sent, s) for s in ("delivered", "sent", "delivered")]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [json.loads(a.body)["status"] for a in answers] == ["recorded", "unchanged", "unchanged"]
    assert processor.record_by_key(sent)["delivery_status"] == "delivered"
    assert post_status(processor, sent, "read").status_code == 200
    assert processor.record_by_key(sent)["delivery_status"] == "read"


def test_a_forged_signature_gets_the_same_answer_as_an_unknown_conversation(
    processor: Processor, sent: dict[str, Any]
) -> None:
    stranger = sent | {
        "status_callback_url": sent["status_callback_url"].replace(
            sent["conversation_id"], str(uuid.uuid4())
        )
    }

    forged = post_status(processor, sent, "delivered", signature="Zm9yZ2Vk")
    unknown = post_status(processor, stranger, "delivered")

    assert forged.status_code == unknown.status_code == 403
    assert json.loads(forged.body) == json.loads(unknown.body)
    assert json.loads(forged.body)["error_code"] == "SIGNATURE_INVALID"


def test_numbers_with_a_fraction_in_project_data_are_stored_as_decimals(
    processor: Processor,
) -> None:
    """boto3 refuses floats: a float the router accepted must never fail the processor."""
    project_data = {"jobRole": "Carer", "salary": 1.5, "shift": {"hours": [7.5, 0.25]}}
    context = processor.enqueue(project_data)

    assert processor.deliver().failed == []

    record = processor.record(context)
    assert record["conversation_status"] == "initial_message_sent"
    assert record["project_data"] == {
        "jobRole": "Carer",
        "salary": Decimal("1.5"),
        "shift": {"hours": [Decimal("7.5"), Decimal("0.25")]},
    }


# Issue 11.6: DynamoDB throttling, answered on the wire.


class _Body(io.BytesIO):
    """An HTTP body as botocore reads one (``stream()``, as urllib3's response has)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def throttle_dynamodb(operation: str, times: int) -> list[str]:
    """Make DynamoDB answer the processor's next ``times`` ``operation`` requests with 400
    ``ProvisionedThroughputExceededException``, as the service does when a table is
    throttled: a ``before-send`` handler on the processor's own client answers instead of
    the other side of the wire, so botocore's retry policy sees exactly what AWS would send.

    Here the other side is moto's in-process stubber, itself a ``before-send`` handler, and
    every handler of an event runs: it is taken off this client and called by this one only
    for the requests that get through, so a throttled write is never applied (DynamoDB
    never applies one). Returns every ``operation`` request tried from now on.
    """
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders
    from moto.core.models import botocore_stubber

    from chalicelib.comms import processor_wiring

    tried: list[str] = []
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded.",
    }

    def wire(request: Any, event_name: str, **kwargs: Any) -> Any:
        if event_name == f"before-send.dynamodb.{operation}":
            tried.append(event_name)
            if len(tried) <= times:
                return AWSResponse(
                    request.url,
                    400,
                    HTTPHeaders.from_dict(
                        {
                            "Content-Type": "application/x-amz-json-1.0",
                            "x-amzn-RequestId": "throttled",
                        }
                    ),
                    _Body(json.dumps(body).encode()),
                )
        return botocore_stubber(event_name=event_name, request=request, **kwargs)

    events = processor_wiring.processor_deps().conversations.table.meta.client.meta.events
    # A callable object; botocore's stubs type handlers as functions.
    events.unregister("before-send", botocore_stubber)  # type: ignore[arg-type]
    events.register("before-send", wire)
    return tried


# Every attempt botocore makes at one call: the first and its retries (standard mode).
DYNAMODB_ATTEMPTS = 1 + int(BOTO_CONFIG.retries["max_attempts"])  # type: ignore[attr-defined]
# The conversation code is the same for every channel, and each attempt backs off for up to
# 2^n seconds: these run on one channel.
ONE_CHANNEL = pytest.mark.parametrize("processor", ["whatsapp"], indirect=True)


@ONE_CHANNEL
def test_dynamodb_throttling_is_retried_by_boto3_and_the_message_sent_once(
    processor: Processor,
) -> None:
    context = processor.enqueue()
    tried = throttle_dynamodb("PutItem", times=DYNAMODB_ATTEMPTS - 1)  # the last one passes

    delivery = processor.deliver()

    assert delivery.failed == []
    assert len(tried) == DYNAMODB_ATTEMPTS
    assert len(processor.sent_to(PHONE)) == 1
    assert processor.record(context)["conversation_status"] == "initial_message_sent"


@ONE_CHANNEL
@pytest.mark.parametrize(
    ("operation", "left"),
    [("PutItem", None), ("UpdateItem", "processing")],
    ids=["creating the record", "marking it sending"],
)
def test_lasting_dynamodb_throttling_is_a_transient_failure_and_never_a_second_send(
    processor: Processor, operation: str, left: str | None
) -> None:
    context = processor.enqueue()
    tried = throttle_dynamodb(operation, times=DYNAMODB_ATTEMPTS)

    failed = processor.deliver(visibility_timeout=0)

    assert len(failed.failed) == 1 and not failed.crashed
    assert tried == [f"before-send.dynamodb.{operation}"] * DYNAMODB_ATTEMPTS
    assert processor.sent_to(PHONE) == []
    assert processor.status(context) == left
    retried = processor.deliver()

    assert retried.failed == []
    assert retried.receive_counts[failed.failed[0]] == 2
    assert len(processor.sent_to(PHONE)) == 1
    assert processor.record(context)["conversation_status"] == "initial_message_sent"


# Issue 12, items 6-9: what a failure writes to the function's log, Twilio's Retry-After, one
# OpenAI Conversation per conversation, Twilio's timeout, and sends interrupted by a crash.


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (
            openai_error(500, "down"),
            "TransientError: OpenAI failed to write the first message: Error code: 500",
        ),
        (twilio_error(503, 20503, "Down"), "TransientError: Twilio still failing after retries"),
    ],
    ids=["openai", "twilio"],
)
def test_a_message_that_fails_writes_its_id_and_reason_to_the_function_log(
    processor: Processor, capsys: pytest.CaptureFixture[str], fault: Fault, reason: str
) -> None:
    context = processor.enqueue()
    processor.fake_for(fault).fail_next(fault, times=processor.attempts_at(fault))

    delivery = processor.deliver(visibility_timeout=0)

    (message_id,) = delivery.failed
    (line,) = [entry for entry in logged(capsys) if entry["level"] == "ERROR"]
    assert line["message"] == "message failed: back to the queue"
    assert line["sqs_message_id"] == message_id
    assert line["receive_count"] == "1"
    assert line["conversation_id"] == context["conversation_data"]["conversation_id"]
    assert line["reason"].startswith(reason)


def test_twilios_retry_after_is_waited_out_before_the_next_attempt(processor: Processor) -> None:
    context = processor.enqueue()
    processor.twilio.fail_next(twilio_error(429, 20429, "Too Many", {"Retry-After": "2"}))

    delivery = processor.deliver()

    assert delivery.failed == []
    assert delivery.seconds >= 2  # the backoff alone is 0.01 s here (RETRY_BASE_SECONDS)
    assert len(processor.sent_to(PHONE)) == 1
    assert processor.status(context) == "initial_message_sent"


def test_a_retry_after_too_long_to_wait_in_an_invocation_gives_the_message_back(
    processor: Processor,
) -> None:
    context = processor.enqueue()
    processor.twilio.fail_next(twilio_error(429, 20429, "Too Many", {"Retry-After": "120"}))
    creates_before = processor.twilio_creates()

    delivery = processor.deliver(visibility_timeout=0)

    assert len(delivery.failed) == 1
    assert delivery.seconds < 5
    assert processor.twilio_creates() == creates_before + 1
    assert processor.status(context) == "processing"
    assert processor.deliver().failed == []
    assert len(processor.sent_to(PHONE)) == 1


def test_a_retried_draft_reuses_the_conversations_openai_conversation(
    processor: Processor,
) -> None:
    context = processor.enqueue()
    processor.openai.fail_next(openai_error(500, "down"), times=openai_attempts())

    failed = processor.deliver(visibility_timeout=0)
    retried = processor.deliver()

    assert len(failed.failed) == 1
    assert retried.failed == []
    conversation_id = context["conversation_data"]["conversation_id"]
    (opened,) = [
        c
        for c in processor.openai.conversations.values()
        if c["metadata"]["conversation_id"] == conversation_id
    ]
    record = processor.record(context)
    assert record["ai_conversation_id"] == opened["id"]
    assert record["conversation_status"] == "initial_message_sent"
    # The failed attempt's input and the answer that was sent, in the one conversation.
    assert [item["role"] for item in opened["items"]] == ["user", "assistant"]


def test_a_hung_twilio_call_times_out_is_never_repeated_and_is_found_on_redelivery(
    processor: Processor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.comms import processor_wiring

    monkeypatch.setenv("PROVIDER_TIMEOUT_SECONDS", "0.5")
    processor_wiring.reset()
    context = processor.enqueue()
    # Twilio takes 4 s, then accepts the message: long after the processor stopped waiting.
    processor.twilio.fail_next(Fault("/Messages.json", status=200, delay_seconds=4))
    creates_before = processor.twilio_creates()

    timed_out = processor.deliver(visibility_timeout=0)
    (message,) = wait_for(lambda: processor.sent_to(PHONE))
    redelivered = processor.deliver()

    assert len(timed_out.failed) == 1
    assert timed_out.seconds < 4
    assert processor.twilio_creates() == creates_before + 1  # never sent again
    assert processor.sent_to(PHONE) == [message]
    assert redelivered.failed == []
    record = processor.record(context)
    assert record["conversation_status"] == "initial_message_sent"
    assert record["message_sid"] == message["sid"]
    assert record["message_found_after_interruption"] is True


def crash_at_update(value: str, after_the_write: bool) -> None:
    """End the processor once, at the next UpdateItem that sets ``value`` (":sending_at",
    ":message_sid"), with an error nothing handles, as a Lambda timeout or a killed process
    ends an invocation: before the write reaches DynamoDB, or after DynamoDB applied it."""
    from chalicelib.comms import processor_wiring

    state = {"armed": False, "done": False}

    class Crash(Exception):
        pass

    def note(params: dict[str, Any], **_: Any) -> None:
        if state["done"] or value not in params.get("ExpressionAttributeValues", {}):
            return
        if not after_the_write:
            state["done"] = True
            raise Crash(f"the process died before writing {value}")
        state["armed"] = True

    def crash(**_: Any) -> None:
        if state["armed"]:
            state.update(armed=False, done=True)
            raise Crash(f"the process died after writing {value}")

    events = processor_wiring.processor_deps().conversations.table.meta.client.meta.events
    events.register("provide-client-params.dynamodb.UpdateItem", note)
    events.register("after-call.dynamodb.UpdateItem", crash)


def test_a_send_interrupted_after_twilio_accepted_it_is_recorded_from_twilios_list(
    processor: Processor, capsys: pytest.CaptureFixture[str]
) -> None:
    context = processor.enqueue()
    crash_at_update(":message_sid", after_the_write=False)

    crashed = processor.deliver(visibility_timeout=0)
    redelivered = processor.deliver()

    assert len(crashed.failed) == 1
    assert redelivered.failed == []
    (message,) = processor.sent_to(PHONE)
    record = processor.record(context)
    assert record["conversation_status"] == "initial_message_sent"
    assert record["message_sid"] == message["sid"]
    lines = logged(capsys)
    (failure,) = [line for line in lines if line["level"] == "ERROR"]
    assert failure["message"] == "message failed unexpectedly: back to the queue"
    assert failure["sqs_message_id"] == crashed.failed[0]
    assert "the process died before writing :message_sid" in failure["reason"]
    assert "Traceback" in failure["exception"]


def test_a_send_interrupted_before_twilio_got_it_fails_as_delivery_unknown_and_is_not_sent(
    processor: Processor,
) -> None:
    context = processor.enqueue()
    crash_at_update(":sending_at", after_the_write=True)

    crashed = processor.deliver(visibility_timeout=0)
    redelivered = processor.deliver()

    assert len(crashed.failed) == 1
    assert redelivered.failed == []
    assert processor.sent_to(PHONE) == []
    record = processor.record(context)
    assert record["conversation_status"] == "failed"
    assert record["failure_reason"] == (
        "an earlier attempt stopped while sending; Twilio lists none; not resent"
    )


def test_twilios_list_finds_a_message_by_recipient_sender_and_time_sent(
    processor: Processor,
) -> None:
    """The query the interrupted-send check makes, against the fake, through the SDK."""
    from twilio.rest import Client as Twilio

    processor.enqueue()
    assert processor.deliver().failed == []
    (message,) = processor.sent_to(PHONE)
    twilio = Twilio(DEMO_TWILIO_ACCOUNT_SID, AUTH_TOKEN)
    twilio.api.base_url = processor.twilio.url
    sent = parsedate_to_datetime(message["date_sent"])

    def listed(**filters: Any) -> list[str]:
        return [m.sid for m in twilio.messages.list(**filters)]

    assert listed(to=message["to"], from_=message["from"]) == [message["sid"]]
    assert listed(to=message["to"], date_sent_after=sent) == [message["sid"]]
    assert listed(to=message["to"], date_sent_after=sent + timedelta(seconds=1)) == []
    assert listed(to=message["to"], date_sent_before=sent - timedelta(seconds=1)) == []
    assert listed(to=message["to"], date_sent=f"{sent:%Y-%m-%d}") == [message["sid"]]
    assert listed(to="+447700900999") == []
    assert listed(from_="+15550000000") == []


# Issue 22: a lost answer is never resent blindly; a call that never connected is; every
# outside call fits in what is left of the invocation.


def test_a_send_whose_answer_is_lost_is_never_repeated_and_is_found_in_twilios_list(
    processor: Processor, capsys: pytest.CaptureFixture[str]
) -> None:
    context = processor.enqueue()
    # Twilio creates the message, then the connection closes before its answer comes back.
    processor.twilio.fail_next(Fault("/Messages.json", action="drop_after_handling"))
    creates_before = processor.twilio_creates()

    lost = processor.deliver(visibility_timeout=0)

    assert len(lost.failed) == 1
    (message,) = processor.sent_to(PHONE)
    assert processor.twilio_creates() == creates_before + 1  # never sent again
    assert processor.status(context) == "sending"
    (line,) = [entry for entry in logged(capsys) if entry["level"] == "ERROR"]
    assert line["reason"].startswith(
        "DeliveryUnknownError: Twilio's answer was lost (ConnectionError)"
    )

    redelivered = processor.deliver()

    assert redelivered.failed == []
    assert processor.sent_to(PHONE) == [message]
    assert processor.twilio_creates() == creates_before + 1
    record = processor.record(context)
    assert record["conversation_status"] == "initial_message_sent"
    assert record["message_sid"] == message["sid"]
    assert record["message_found_after_interruption"] is True


@pytest.mark.parametrize("status", [502, 504])
def test_a_5xx_without_twilios_body_is_never_repeated_and_twilio_is_asked(
    processor: Processor, status: int
) -> None:
    """A gateway's 5xx may come after Twilio took the message: not resent. Here Twilio has
    no such message, so the conversation fails as delivery unknown (never resent)."""
    context = processor.enqueue()
    processor.twilio.fail_next(Fault("/Messages.json", status=status, body={}))
    creates_before = processor.twilio_creates()

    first = processor.deliver(visibility_timeout=0)
    redelivered = processor.deliver()

    assert len(first.failed) == 1
    assert redelivered.failed == []
    assert processor.twilio_creates() == creates_before + 1
    assert processor.sent_to(PHONE) == []
    record = processor.record(context)
    assert record["conversation_status"] == "failed"
    assert record["failure_reason"] == (
        "an earlier attempt stopped while sending; Twilio lists none; not resent"
    )


def test_a_send_that_never_connected_is_retried_and_the_redelivery_sends_once(
    processor: Processor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.comms import processor_wiring

    context = processor.enqueue()
    monkeypatch.setenv("TWILIO_API_BASE_URL", closed_port_url())
    processor_wiring.reset()

    refused = processor.deliver(visibility_timeout=0)

    assert len(refused.failed) == 1
    assert processor.status(context) == "processing"  # nothing went out: free to send
    (line,) = [entry for entry in logged(capsys) if entry["level"] == "ERROR"]
    assert line["reason"].startswith("TransientError: Twilio still failing after retries")
    monkeypatch.setenv("TWILIO_API_BASE_URL", processor.twilio.url)
    processor_wiring.reset()

    retried = processor.deliver()

    assert retried.failed == []
    (message,) = processor.sent_to(PHONE)
    record = processor.record(context)
    assert record["conversation_status"] == "initial_message_sent"
    assert record["message_sid"] == message["sid"]
    assert "message_found_after_interruption" not in record


def test_a_dropped_answer_is_what_requests_calls_a_lost_connection(processor: Processor) -> None:
    """The fake's ``drop_after_handling`` fails a client as a connection lost after the
    request went out, and a refused connection as one that never did."""
    from chalicelib.comms.transport import may_have_gone_out, never_sent

    processor.twilio.fail_next(Fault("/_nowhere", action="drop_after_handling"))
    with pytest.raises(requests.ConnectionError) as dropped:
        requests.get(f"{processor.twilio.url}/_nowhere", timeout=5)
    with pytest.raises(requests.ConnectionError) as refused:
        requests.get(closed_port_url(), timeout=5)

    assert may_have_gone_out(dropped.value) and not never_sent(dropped.value)
    assert never_sent(refused.value) and not may_have_gone_out(refused.value)


@ONE_CHANNEL
def test_a_slow_model_is_given_up_on_within_the_invocations_time(
    processor: Processor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """25 s of function timeout, 10 s kept to record the outcome and 10 s for the send:
    OpenAI gets one attempt of under 5 s, not the SDK's 30 s x 4."""
    invocations_last(monkeypatch, 25)
    context = processor.enqueue()
    processor.openai.fail_next(Fault("/v1/responses", status=200, delay_seconds=8))

    def responses_asked() -> int:
        return sum(r["path"] == "/v1/responses" for r in processor.openai.requests)

    asked_before = responses_asked()
    delivery = processor.deliver(visibility_timeout=0)

    assert len(delivery.failed) == 1
    assert 2 < delivery.seconds < 25 - 10  # under 5 s: the reserve is untouched
    assert responses_asked() == asked_before + 1
    assert processor.status(context) == "processing"
    assert processor.sent_to(PHONE) == []


@ONE_CHANNEL
def test_too_little_time_left_calls_nobody_and_gives_the_message_back(
    processor: Processor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    invocations_last(monkeypatch, 15)  # under the 10 s reserve plus 10 s for the send
    context = processor.enqueue()
    openai_calls = len(processor.openai.requests)

    delivery = processor.deliver(visibility_timeout=0)

    assert len(delivery.failed) == 1
    assert len(processor.openai.requests) == openai_calls
    assert processor.status(context) == "processing"
    (line,) = [entry for entry in logged(capsys) if entry["level"] == "ERROR"]
    assert line["reason"].startswith("OutOfTimeError: ")
    assert "too little for open a conversation; not called" in line["reason"]
