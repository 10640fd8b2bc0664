"""The WhatsApp and SMS processors, invoked as Lambda would with real SQS events, against the
dev stack in moto and wire-level fakes of OpenAI and Twilio (driven by the real SDKs)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

from chalicelib.comms import names
from chalicelib.comms.names import channel_dlq, channel_queue
from chalicelib.comms.router.context import build_context, conversation_id_for
from devstack.apps import load_app
from devstack.fakes.base import Fault
from devstack.fakes.openai import FakeOpenAI, openai_error
from devstack.fakes.twilio import FakeTwilio, twilio_error
from devstack.moto_mocks import MotoMocks
from devstack.profiles.comms import (
    DEMO_COMPANY_ID,
    DEMO_PROJECT_ID,
    DEMO_TWILIO_ACCOUNT_SID,
    demo_company_config,
    demo_secrets,
)
from devstack.sqs_delivery import Delivery, deliver_once
from infra.registry import app_dir
from shared.names import physical
from tests.conftest import REGION
from tests.functional.conftest import STACK, drain, sqs_client

# Distinctive values: no captured log line may ever contain them.
AUTH_TOKEN = "twilio-auth-token-7f3c"
OPENAI_KEY = "sk-openai-key-91ab"
PHONE = "+447700900123"


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
    client = boto3.client("secretsmanager", region_name=REGION)
    openai_secret = physical(names.OPENAI_SECRET, STACK)
    for name, value in demo_secrets(openai_secret, AUTH_TOKEN, OPENAI_KEY).items():
        if name == openai_secret:  # declared by the program, without a value
            client.put_secret_value(SecretId=name, SecretString=json.dumps(value))
        else:  # per-company credentials are created by operators
            client.create_secret(Name=name, SecretString=json.dumps(value))


@dataclass
class Processor:
    channel: str
    client: Client
    queue_url: str
    queue_arn: str
    dlq_url: str
    openai: FakeOpenAI
    twilio: FakeTwilio

    def enqueue(
        self, project_data: dict[str, Any] | None = None, **recipient: Any
    ) -> dict[str, Any]:
        """Queue a context object exactly as the router builds it."""
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
        context = build_context(
            body,
            demo_company_config(),
            conversation_id_for(DEMO_COMPANY_ID, DEMO_PROJECT_ID, request_id),
            datetime.now(UTC),
        )
        self.send_raw(json.dumps(context))
        return context

    def send_raw(self, body: str) -> None:
        sqs_client().send_message(QueueUrl=self.queue_url, MessageBody=body)

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

    def record(self, context: dict[str, Any]) -> dict[str, Any]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(
            physical(names.CONVERSATIONS_TABLE.base_name, STACK)
        )
        address = context["frontend_payload"]["recipient_data"]["recipient_tel"]
        return table.get_item(
            Key={
                "primary_channel": address,
                "conversation_id": context["conversation_data"]["conversation_id"],
            }
        )["Item"]

    def record_by_key(self, record: dict[str, Any]) -> dict[str, Any]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(
            physical(names.CONVERSATIONS_TABLE.base_name, STACK)
        )
        key = {k: record[k] for k in ("primary_channel", "conversation_id")}
        return table.get_item(Key=key)["Item"]

    def fake_for(self, fault: Fault) -> FakeOpenAI | FakeTwilio:
        """The fake whose API the fault is for."""
        return self.openai if "/v1/" in fault.path_contains else self.twilio

    def sent_to(self, to: str) -> list[dict[str, Any]]:
        return [m for m in self.twilio.messages if m["to"].endswith(to)]


@pytest.fixture(params=["whatsapp", "sms"])
def processor(
    request: pytest.FixtureRequest,
    dev_stack: MotoMocks,
    stored_secrets: None,
    fakes: tuple[FakeOpenAI, FakeTwilio],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Processor]:
    channel: str = request.param
    function = physical(f"comms-{channel}-processor", STACK)
    for name, value in dev_stack.function_environment(function).items():
        monkeypatch.setenv(name, value)
    openai, twilio = fakes
    monkeypatch.setenv("OPENAI_BASE_URL", f"{openai.url}/v1")
    monkeypatch.setenv("TWILIO_API_BASE_URL", twilio.url)
    monkeypatch.setenv("RETRY_BASE_SECONDS", "0.01")
    module = load_app("comms")
    from chalicelib.comms import wiring
    from chalicelib.comms.processor import wiring as processor_wiring

    wiring.reset()
    processor_wiring.reset()
    queue = dev_stack.named("aws:sqs/queue:Queue", physical(channel_queue(channel), STACK))  # type: ignore[arg-type]
    dlq = dev_stack.named("aws:sqs/queue:Queue", physical(channel_dlq(channel), STACK))  # type: ignore[arg-type]
    for url in (queue.outputs["url"], dlq.outputs["url"]):
        drain(url)
    twilio.messages.clear()
    boto3.resource("dynamodb", region_name=REGION).Table(
        physical(names.COMPANY_DATA_TABLE.base_name, STACK)
    ).put_item(Item=demo_company_config())
    with Client(module.app, stage_name="package", project_dir=str(app_dir("comms"))) as client:
        yield Processor(
            channel,
            client,
            queue.outputs["url"],
            queue.outputs["arn"],
            dlq.outputs["url"],
            openai,
            twilio,
        )
    wiring.reset()
    processor_wiring.reset()
    logged = capsys.readouterr()
    for secret in (AUTH_TOKEN, OPENAI_KEY):
        assert secret not in logged.out + logged.err, "a secret value was logged"


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
    processor.openai.fail_next(openai_error(500, "boom"), times=4)  # 1 call + 3 SDK retries

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
    target.fail_next(fault, times=4)

    failed = processor.deliver(visibility_timeout=0)
    retried = processor.deliver()

    assert len(failed.failed) == 1
    assert processor.sent_to(PHONE) and len(processor.sent_to(PHONE)) == 1
    assert retried.failed == []
    assert retried.receive_counts[failed.failed[0]] == 2
    assert processor.record(context)["conversation_status"] == "initial_message_sent"


def test_after_three_receives_a_failing_message_is_in_the_dlq(processor: Processor) -> None:
    context = processor.enqueue()
    processor.openai.fail_next(openai_error(500, "down"), times=12)

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


def test_an_invalid_context_is_logged_never_sent_never_retried(
    processor: Processor, capsys: pytest.CaptureFixture[str]
) -> None:
    processor.send_raw(json.dumps({"frontend_payload": {"nope": 1}}))

    delivery = processor.deliver()

    assert delivery.failed == []
    assert processor.twilio.messages == []
    assert drain(processor.queue_url) == []
    assert "invalid context object" in capsys.readouterr().out


def refuse_final_writes() -> None:
    """Make DynamoDB refuse the processor's final update (the one that records the SID),
    through botocore's own event hooks on the processor's client."""
    from botocore.exceptions import ClientError

    from chalicelib.comms.processor import wiring

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if ":message_sid" in params.get("ExpressionAttributeValues", {}):
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "down"}}, "UpdateItem"
            )

    client = wiring.processor_deps().conversations._table.meta.client
    client.meta.events.register("provide-client-params.dynamodb.UpdateItem", refuse)


def test_a_failed_final_write_logs_the_marker_and_never_resends(
    processor: Processor, capsys: pytest.CaptureFixture[str]
) -> None:
    context = processor.enqueue()
    refuse_final_writes()
    delivery = processor.deliver()
    processor.send_raw(json.dumps(context))
    redelivery = processor.deliver()

    assert delivery.failed == redelivery.failed == []
    assert len(processor.sent_to(PHONE)) == 1
    lines = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if names.FINAL_UPDATE_FAILED_MARKER in line
    ]
    assert len(lines) == 1
    assert lines[0]["message"] == names.FINAL_UPDATE_FAILED_MARKER
    assert lines[0]["message_sid"] == processor.sent_to(PHONE)[0]["sid"]


def test_the_heartbeat_keeps_a_slow_message_from_a_second_consumer(
    processor: Processor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.comms.processor import wiring

    monkeypatch.setenv("HEARTBEAT_INTERVAL_SECONDS", "0.5")
    monkeypatch.setenv("VISIBILITY_TIMEOUT_SECONDS", "2")
    wiring.reset()
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
    refuse_final_writes()
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
    for name, value in dev_stack.function_environment(physical("comms-api-handler", STACK)).items():
        monkeypatch.setenv(name, value)
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
