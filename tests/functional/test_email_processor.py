"""The e-mail processor, invoked as Lambda would with real SQS events, against the dev stack in
moto and wire-level fakes of OpenAI and SendGrid; and SendGrid's signed Event Webhook through
the comms API (``POST /sendgrid/events``)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.comms import names
from chalicelib.comms.ai import load_prompt
from devstack.fakes.base import Fault
from devstack.fakes.openai import FakeOpenAI, openai_error
from devstack.fakes.sendgrid import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    FakeSendGrid,
    rate_limited,
    sendgrid_error,
)
from devstack.mocks import MotoMocks
from devstack.profiles.comms import (
    DEMO_COMPANY_ID,
    DEMO_PROJECT_ID,
    demo_company_config,
    demo_secrets,
    demo_webhook_key,
)
from shared.names import physical
from tests.functional.comms_support import (
    EMAIL,
    ChannelProcessor,
    api_environment,
    channel_processor,
    closed_port_url,
    logged,
    store_secrets,
    wait_for,
)
from tests.functional.conftest import STACK, drain

pytestmark = pytest.mark.systems("comms")

# Distinctive values: no captured log line may ever contain them.
SENDGRID_KEY = "SG.sendgrid-key-5d1e"
OPENAI_KEY = "sk-openai-key-3c07"
SENDER = demo_company_config()["channel_config"]["email"]


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeOpenAI, FakeSendGrid]]:
    # Signing with the demo company's key, as its config holds the public half.
    openai = FakeOpenAI({OPENAI_KEY})
    sendgrid = FakeSendGrid({SENDGRID_KEY}, signing_key=demo_webhook_key())
    openai.start()
    sendgrid.start()
    yield openai, sendgrid
    openai.stop()
    sendgrid.stop()


@pytest.fixture(scope="module")
def stored_secrets(dev_stack: MotoMocks) -> None:
    openai_secret = physical(names.OPENAI_SECRET, STACK)
    secrets = demo_secrets(openai_secret, "unused", OPENAI_KEY, sendgrid_key=SENDGRID_KEY)
    store_secrets(secrets, declared=openai_secret)


@dataclass
class EmailProcessor(ChannelProcessor):
    openai: FakeOpenAI
    sendgrid: FakeSendGrid

    def send(self, **recipient: Any) -> dict[str, Any]:
        """Queue a conversation request for the e-mail channel."""
        return self.enqueue(recipient_email=EMAIL, **recipient)

    def mail_to(self, address: str) -> list[dict[str, Any]]:
        return [m for m in self.sendgrid.mail if address in m["to"]]

    def mail_sends(self) -> list[dict[str, Any]]:
        """Every Mail Send request SendGrid got (faults included)."""
        return [r for r in self.sendgrid.requests if r["path"] == "/v3/mail/send"]


@pytest.fixture
def email(
    dev_stack: MotoMocks,
    stored_secrets: None,
    fakes: tuple[FakeOpenAI, FakeSendGrid],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[EmailProcessor]:
    openai, sendgrid = fakes
    sendgrid.mail.clear()
    sendgrid.requests.clear()
    openai.requests.clear()
    sendgrid.faults.clear()
    openai.faults.clear()
    with channel_processor(
        "email",
        dev_stack,
        monkeypatch,
        OPENAI_BASE_URL=f"{openai.url}/v1",
        SENDGRID_API_BASE_URL=sendgrid.url,
    ) as queued:
        yield EmailProcessor(**vars(queued), openai=openai, sendgrid=sendgrid)
    output = capsys.readouterr()
    for secret in (SENDGRID_KEY, OPENAI_KEY):
        assert secret not in output.out + output.err, "a secret value was logged"


def test_a_context_becomes_one_sendgrid_mail_and_a_complete_record(
    email: EmailProcessor,
) -> None:
    context = email.send(recipient_last_name="Hayton")

    delivery = email.deliver()

    assert delivery.failed == []
    (mail,) = email.mail_to(EMAIL)
    (request,) = email.mail_sends()
    assert request["method"] == "POST"
    assert request["headers"]["Authorization"] == f"Bearer {SENDGRID_KEY}"
    assert request["json"] == {
        "personalizations": [{"to": [{"email": EMAIL, "name": "Lee Hayton"}]}],
        "from": {"email": SENDER["company_email"], "name": SENDER["sender_name"]},
        "reply_to": {"email": SENDER["reply_to_email"]},
        "subject": "fake subject",
        "content": [{"type": "text/plain", "value": "fake body"}],
        "custom_args": {
            "primary_channel": EMAIL,
            "conversation_id": context["conversation_data"]["conversation_id"],
        },
    }
    record = email.record(context)
    assert record["conversation_status"] == "initial_message_sent"
    assert record["channel_method"] == "email"
    assert record["message_sid"] == mail["message_id"]
    assert record["messages"][0]["content"] == "Subject: fake subject\n\nfake body"
    assert record["prompt_version"] == load_prompt("email").version
    assert record["credentials_id"] == SENDER["email_credentials_id"]
    assert record["status_callback_url"] is None
    assert record["ai_conversation_id"] in email.openai.conversations
    assert drain(email.queue_url) == []


def test_the_prompt_asks_for_a_subject_and_a_body(email: EmailProcessor) -> None:
    email.send()

    assert email.deliver().failed == []

    (response,) = [r for r in email.openai.requests if r["path"] == "/v1/responses"]
    text_format = response["json"]["text"]["format"]
    assert text_format["name"] == "email_first_message"
    assert text_format["schema"]["required"] == ["subject", "body"]
    assert response["json"]["instructions"] == load_prompt("email").instructions


def test_the_same_message_delivered_twice_is_sent_once(email: EmailProcessor) -> None:
    context = email.send()
    email.send_raw(json.dumps(context))

    first, second = email.deliver(), email.deliver()

    assert first.failed == second.failed == []
    assert len(email.mail_to(EMAIL)) == 1
    assert email.status(context) == "initial_message_sent"


def test_one_failing_message_in_a_batch_is_reported_alone(email: EmailProcessor) -> None:
    contexts = [email.enqueue(recipient_email=f"lee{i}@example.com") for i in range(3)]
    email.sendgrid.fail_next(sendgrid_error(500, "internal error"), times=4)  # every attempt

    delivery = email.deliver(visibility_timeout=0)

    assert len(delivery.received) == 3
    assert len(delivery.failed) == 1
    statuses = sorted(str(email.status(c)) for c in contexts)
    assert statuses == ["initial_message_sent", "initial_message_sent", "processing"]
    assert len(email.sendgrid.mail) == 2


@pytest.mark.parametrize(
    ("fault", "times"),
    [
        (rate_limited(0), 1),
        (sendgrid_error(500, "internal error"), 2),
        (sendgrid_error(503, "service unavailable"), 3),
        (openai_error(429, "rate limited"), 2),
    ],
    ids=["sendgrid 429", "sendgrid 500", "sendgrid 503", "openai 429"],
)
def test_a_passing_fault_is_retried_inside_the_invocation(
    email: EmailProcessor, fault: Fault, times: int
) -> None:
    context = email.send()
    target = email.openai if "/v1/" in fault.path_contains else email.sendgrid
    target.fail_next(fault, times=times)

    delivery = email.deliver()

    assert delivery.failed == []
    assert len(email.mail_to(EMAIL)) == 1
    assert email.status(context) == "initial_message_sent"


def test_a_rate_limit_is_waited_out_until_its_reset(email: EmailProcessor) -> None:
    context = email.send()
    email.sendgrid.fail_next(rate_limited(2))

    delivery = email.deliver()

    assert delivery.failed == []
    assert delivery.seconds >= 1.5  # the backoff alone is 0.01 s here (RETRY_BASE_SECONDS)
    assert len(email.mail_sends()) == 2
    assert email.status(context) == "initial_message_sent"


def test_a_rate_limit_too_long_to_wait_in_an_invocation_gives_the_message_back(
    email: EmailProcessor,
) -> None:
    context = email.send()
    email.sendgrid.fail_next(rate_limited(120))

    delivery = email.deliver(visibility_timeout=0)

    assert len(delivery.failed) == 1
    assert delivery.seconds < 5
    assert len(email.mail_sends()) == 1
    assert email.status(context) == "processing"
    assert email.deliver().failed == []
    assert len(email.mail_to(EMAIL)) == 1


@pytest.mark.parametrize(
    ("fault", "code", "reason"),
    [
        (
            sendgrid_error(400, "Does not contain a valid address.", "personalizations.0.to"),
            "400",
            "SendGrid refused the mail: Does not contain a valid address. (personalizations.0.to)",
        ),
        (
            sendgrid_error(401, "The provided authorization grant is invalid"),
            "401",
            "SendGrid refused the mail: The provided authorization grant is invalid",
        ),
        (
            sendgrid_error(403, "The from address does not match a verified Sender Identity."),
            "403",
            "SendGrid refused the mail: The from address does not match a verified Sender "
            "Identity.",
        ),
    ],
    ids=["400", "401", "403"],
)
def test_a_permanent_error_is_recorded_failed_after_one_call(
    email: EmailProcessor, fault: Fault, code: str, reason: str
) -> None:
    context = email.send()
    email.sendgrid.fail_next(fault)

    delivery = email.deliver()

    assert delivery.failed == []
    assert len(email.mail_sends()) == 1
    record = email.record(context)
    assert record["conversation_status"] == "failed"
    assert record["failure_code"] == code
    assert record["failure_reason"] == reason
    assert email.sendgrid.mail == []
    assert drain(email.queue_url) == []


def test_a_hung_mail_send_is_never_repeated_and_fails_as_delivery_unknown(
    email: EmailProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SendGrid cannot be asked which mail it sent (only with a paid add-on): a send that
    timed out after it went out is never repeated, and the conversation fails."""
    from chalicelib.comms import processor_wiring

    monkeypatch.setenv("PROVIDER_TIMEOUT_SECONDS", "0.5")
    processor_wiring.reset()
    context = email.send()
    email.sendgrid.fail_next(Fault("/v3/mail/send", status=200, delay_seconds=3))

    timed_out = email.deliver(visibility_timeout=0)
    (mail,) = wait_for(lambda: email.mail_to(EMAIL))
    redelivered = email.deliver()

    assert len(timed_out.failed) == 1
    assert redelivered.failed == []
    assert len(email.mail_sends()) == 1
    assert email.mail_to(EMAIL) == [mail]
    record = email.record(context)
    assert record["conversation_status"] == "failed"
    assert record["failure_reason"] == (
        "an earlier attempt stopped while sending; SendGrid cannot be asked; not resent"
    )


@pytest.mark.parametrize(
    "fault",
    [
        Fault("/v3/mail/send", action="drop_after_handling"),
        Fault("/v3/mail/send", status=502, body={}),
    ],
    ids=["answer lost after SendGrid took the mail", "5xx without SendGrid's body"],
)
def test_a_send_whose_answer_is_lost_is_never_repeated_and_fails_as_delivery_unknown(
    email: EmailProcessor, fault: Fault, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mail may be out (with the dropped answer, it is): SendGrid cannot be asked, so
    the conversation fails as delivery unknown, never resent."""
    context = email.send()
    email.sendgrid.fail_next(fault)

    lost = email.deliver(visibility_timeout=0)

    assert len(lost.failed) == 1
    assert len(email.mail_sends()) == 1
    assert email.status(context) == "sending"
    (line,) = [entry for entry in logged(capsys) if entry["level"] == "ERROR"]
    assert line["reason"].startswith("DeliveryUnknownError: SendGrid's answer was lost")

    redelivered = email.deliver()

    assert redelivered.failed == []
    assert len(email.mail_sends()) == 1
    record = email.record(context)
    assert record["conversation_status"] == "failed"
    assert record["failure_reason"] == (
        "an earlier attempt stopped while sending; SendGrid cannot be asked; not resent"
    )


def test_a_send_that_never_connected_is_retried_and_the_redelivery_sends_once(
    email: EmailProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.comms import processor_wiring

    context = email.send()
    monkeypatch.setenv("SENDGRID_API_BASE_URL", closed_port_url())
    processor_wiring.reset()

    refused = email.deliver(visibility_timeout=0)

    assert len(refused.failed) == 1
    assert email.status(context) == "processing"  # nothing went out: free to send
    monkeypatch.setenv("SENDGRID_API_BASE_URL", email.sendgrid.url)
    processor_wiring.reset()

    assert email.deliver().failed == []
    (mail,) = email.mail_to(EMAIL)
    record = email.record(context)
    assert record["conversation_status"] == "initial_message_sent"
    assert record["message_sid"] == mail["message_id"]


def test_a_poison_message_on_the_email_queue_goes_to_its_dlq(email: EmailProcessor) -> None:
    context = email.context(recipient_email=EMAIL)
    context["frontend_payload"]["request_data"]["channel_method"] = "whatsapp"
    message_id = email.send_raw(json.dumps(context))

    delivery = email.deliver()

    assert delivery.failed == []
    (dead,) = drain(email.dlq_url)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["poison_kind"] == "unknown_channel"
    assert attributes["poison_reason"] == (
        "channel_method 'whatsapp' is not this queue's channel (email)"
    )
    assert attributes["source_message_id"] == message_id
    assert email.sendgrid.mail == []


def test_a_company_without_an_email_sender_fails_the_conversation_without_a_call(
    email: EmailProcessor,
) -> None:
    """The router refuses such a request (409); one queued before the config changed is
    failed, not retried."""
    context = email.send()
    context["company_data_payload"]["channel_config"]["email"].pop("company_email")
    drain(email.queue_url)
    email.send_raw(json.dumps(context))

    assert email.deliver().failed == []

    record = email.record(context)
    assert record["conversation_status"] == "failed"
    assert record["failure_reason"] == "channel_config.email lacks company_email"
    assert email.mail_sends() == []


# SendGrid's Event Webhook: POST /sendgrid/events?company_id=...&project_id=...

DEMO = {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID}
NOT_VERIFIED = {
    "status": "error",
    "error_code": "SIGNATURE_INVALID",
    "message": "the signature of these SendGrid events could not be verified",
    "request_id": None,
}


@dataclass
class Sent:
    """A conversation whose mail went out, with the API handler's environment set."""

    email: EmailProcessor
    context: dict[str, Any]
    mail: dict[str, Any]

    def post(
        self,
        body: bytes,
        headers: dict[str, str],
        query: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        response = self.email.client.http.post(
            f"{names.SENDGRID_EVENTS_PATH}?{urlencode(DEMO if query is None else query)}",
            body=body,
            headers=headers,
        )
        return response.status_code, json.loads(response.body)

    def report(self, *kinds: str, **fields: Any) -> tuple[int, dict[str, Any]]:
        """Post one signed event of each kind for this mail, in one post."""
        sendgrid = self.email.sendgrid
        return self.post(*sendgrid.signed([sendgrid.event(self.mail, k, **fields) for k in kinds]))

    def record(self) -> dict[str, Any]:
        return self.email.record(self.context)


@pytest.fixture
def sent(email: EmailProcessor, dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Sent:
    context = email.send()
    assert email.deliver().failed == []
    (mail,) = email.mail_to(EMAIL)
    api_environment(dev_stack, monkeypatch)
    return Sent(email, context, mail)


def company_config_reads(email: EmailProcessor) -> list[str]:
    """Each GetItem the API's company config repository makes from now on."""
    from chalicelib.comms import wiring

    reads: list[str] = []
    wiring.company_configs()._table.meta.client.meta.events.register(
        "before-call.dynamodb.GetItem", lambda **kwargs: reads.append("GetItem")
    )
    return reads


def test_a_signed_delivered_event_is_recorded(sent: Sent) -> None:
    status, body = sent.report("delivered")

    assert (status, body) == (200, {"status": "recorded", "received": 1, "applied": 1})
    record = sent.record()
    assert record["delivery_status"] == "delivered"
    assert record["conversation_status"] == "initial_message_sent"
    assert record["delivery_updated_at"]


def test_events_out_of_order_or_repeated_keep_the_latest_status(sent: Sent) -> None:
    answers = [sent.report(kind)[1]["applied"] for kind in ("delivered", "processed")]
    answers += [sent.report("deferred")[1]["applied"], sent.report("delivered")[1]["applied"]]

    assert answers == [1, 0, 0, 0]
    assert sent.record()["delivery_status"] == "delivered"
    assert sent.report("open")[1]["applied"] == 1
    assert sent.record()["delivery_status"] == "open"


def test_a_bounce_keeps_its_reason_and_code(sent: Sent) -> None:
    status, body = sent.report(
        "processed", "bounce", reason="550 5.1.1 The email account does not exist", status="5.1.1"
    )

    assert (status, body["applied"]) == (200, 2)
    record = sent.record()
    assert record["delivery_status"] == "bounce"
    assert record["delivery_reason"] == "550 5.1.1 The email account does not exist"
    assert record["delivery_error_code"] == "5.1.1"


def test_a_dropped_mail_is_recorded(sent: Sent) -> None:
    sent.report("dropped", reason="Bounced Address")

    assert sent.record()["delivery_status"] == "dropped"


def test_the_same_signed_post_twice_changes_nothing_the_second_time(sent: Sent) -> None:
    body, headers = sent.email.sendgrid.signed([sent.email.sendgrid.event(sent.mail, "delivered")])

    first, second = sent.post(body, headers), sent.post(body, headers)

    assert first == (200, {"status": "recorded", "received": 1, "applied": 1})
    assert second == (200, {"status": "recorded", "received": 1, "applied": 0})


def test_an_old_signed_post_replayed_is_refused(sent: Sent) -> None:
    sendgrid = sent.email.sendgrid
    body, headers = sendgrid.signed(
        [sendgrid.event(sent.mail, "delivered")], timestamp=int(time.time()) - 600
    )

    assert sent.post(body, headers) == (403, NOT_VERIFIED)
    assert "delivery_status" not in sent.record()


def test_a_post_signed_with_another_key_is_refused(sent: Sent) -> None:
    forger = FakeSendGrid(signing_key=ec.generate_private_key(ec.SECP256R1()))
    body, headers = forger.signed([sent.email.sendgrid.event(sent.mail, "delivered")])

    assert sent.post(body, headers) == (403, NOT_VERIFIED)
    assert "delivery_status" not in sent.record()


def test_a_signed_post_altered_on_the_way_is_refused(sent: Sent) -> None:
    body, headers = sent.email.sendgrid.signed([sent.email.sendgrid.event(sent.mail, "open")])

    altered = body.replace(b'"open"', b'"bounce"')

    assert sent.post(altered, headers) == (403, NOT_VERIFIED)
    assert "delivery_status" not in sent.record()


def test_an_unsigned_post_is_refused_before_any_lookup(sent: Sent) -> None:
    reads = company_config_reads(sent.email)
    body, headers = sent.email.sendgrid.signed([sent.email.sendgrid.event(sent.mail, "open")])

    for header in (SIGNATURE_HEADER, TIMESTAMP_HEADER):
        unsigned = {k: v for k, v in headers.items() if k != header}
        assert sent.post(body, unsigned) == (403, NOT_VERIFIED)
    assert reads == []


def test_a_company_without_a_key_gets_the_same_answer_as_a_forgery(sent: Sent) -> None:
    body, headers = sent.email.sendgrid.signed([sent.email.sendgrid.event(sent.mail, "open")])

    unknown = sent.post(body, headers, {"company_id": "ci-unknown", "project_id": "pi-unknown"})

    assert unknown == (403, NOT_VERIFIED)


def test_events_that_name_no_conversation_of_ours_are_acknowledged_and_ignored(
    sent: Sent,
) -> None:
    sendgrid = sent.email.sendgrid
    events = [
        sendgrid.event(sent.mail, "delivered", conversation_id=str(uuid.uuid4())),
        sendgrid.event(sent.mail, "delivered", conversation_id="not-a-uuid"),
        sendgrid.event(sent.mail, "click"),
        {"event": "delivered", "email": EMAIL, "sg_message_id": "x.y"},
    ]

    status, body = sent.post(*sendgrid.signed(events))

    assert (status, body) == (200, {"status": "recorded", "received": 4, "applied": 0})
    assert "delivery_status" not in sent.record()


@pytest.mark.parametrize("payload", [b"{}", b"not json", b'["delivered"]'])
def test_a_signed_body_that_is_not_an_array_of_events_is_a_400(sent: Sent, payload: bytes) -> None:
    status, answer = sent.post(*sent.email.sendgrid.signed_body(payload))

    assert status == 400
    assert answer["error_code"] == "INVALID_EVENTS"


@pytest.mark.parametrize(
    ("query", "problems"),
    [
        ({}, {"company_id": "required", "project_id": "required"}),
        (DEMO | {"debug": "1"}, {"debug": "unknown parameter"}),
    ],
    ids=["no company", "unknown parameter"],
)
def test_a_url_that_names_no_company_is_a_400(
    sent: Sent, query: dict[str, str], problems: dict[str, str]
) -> None:
    status, body = sent.post(*sent.email.sendgrid.signed([]), query)

    assert status == 400
    assert body["error_code"] == "INVALID_QUERY"
    assert {e["parameter"]: e["reason"] for e in body["errors"]} == problems
