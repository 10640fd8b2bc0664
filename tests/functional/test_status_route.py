"""``POST /twilio/status`` refusals, through the comms app on the dev stack in moto: the
shared error shape, a 4xx for everything a retry cannot fix (Twilio does not retry a 4xx),
and nothing said about which conversations exist. The signed, recorded path is in
test_processors.py, next to the processor that sends the message."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.comms.names import TWILIO_STATUS_PATH
from devstack.mocks import MotoMocks
from tests.functional.comms_support import comms_app

pytestmark = pytest.mark.systems("comms")


@pytest.fixture
def comms(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    yield from comms_app(dev_stack, monkeypatch)


FORM = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "AccountSid": "AC1"}
KEY = {"primary_channel": "+447700900123", "conversation_id": str(uuid.uuid4())}
NOT_VERIFIED = {
    "status": "error",
    "error_code": "SIGNATURE_INVALID",
    "message": "the X-Twilio-Signature of this callback could not be verified",
    "request_id": None,
}


def post_callback(
    client: Client,
    query: dict[str, str] = KEY,
    body: bytes | None = None,
    signature: str | None = "c2lnbmF0dXJl",
    content_type: str = "application/x-www-form-urlencoded",
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    response = client.http.post(
        f"{TWILIO_STATUS_PATH}?{urlencode(query)}",
        headers=headers,
        body=urlencode(FORM).encode() if body is None else body,
    )
    return response.status_code, json.loads(response.body)


def dynamodb_reads(client: Client) -> list[str]:
    """Each GetItem the app's conversations repository makes from now on."""
    from chalicelib.comms import wiring

    reads: list[str] = []
    wiring.conversations().table.meta.client.meta.events.register(
        "before-call.dynamodb.GetItem", lambda **kwargs: reads.append("GetItem")
    )
    return reads


def test_an_unknown_query_parameter_is_refused_in_the_shared_shape(comms: Client) -> None:
    status, body = post_callback(comms, KEY | {"debug": "1"})

    assert status == 400
    assert body == {
        "status": "error",
        "error_code": "INVALID_QUERY",
        "message": "invalid query: debug: unknown parameter",
        "request_id": None,
        "errors": [{"parameter": "debug", "reason": "unknown parameter"}],
    }


@pytest.mark.parametrize(
    ("query", "problems"),
    [
        (KEY | {"primary_channel": ""}, {"primary_channel": "must not be empty"}),
        (KEY | {"conversation_id": ""}, {"conversation_id": "must not be empty"}),
        ({}, {"primary_channel": "required", "conversation_id": "required"}),
        (
            KEY | {"conversation_id": "x" * 2000},
            {"conversation_id": "not a conversation id (a UUID)"},
        ),
        (KEY | {"primary_channel": "+" * 3000}, {"primary_channel": "longer than 254 characters"}),
    ],
    ids=["empty primary_channel", "empty conversation_id", "no key", "not a uuid", "too long"],
)
def test_a_key_that_cannot_be_a_conversation_is_a_400_not_a_retry(
    comms: Client, query: dict[str, str], problems: dict[str, str]
) -> None:
    status, body = post_callback(comms, query)

    assert status == 400
    assert body["error_code"] == "INVALID_QUERY"
    assert {e["parameter"]: e["reason"] for e in body["errors"]} == problems


def test_a_form_that_is_not_utf8_is_a_400_in_the_shared_shape(comms: Client) -> None:
    status, body = post_callback(comms, body=b"MessageSid=\xff\xfe&MessageStatus=delivered")

    assert status == 400
    assert body == {
        "status": "error",
        "error_code": "INVALID_CALLBACK",
        "message": "the form is not UTF-8",
        "request_id": None,
    }


def test_a_form_without_twilios_fields_names_each(comms: Client) -> None:
    status, body = post_callback(comms, body=b"MessageSid=&AccountSid=AC1")

    assert status == 400
    assert body["error_code"] == "INVALID_CALLBACK"
    assert body["errors"] == [
        {"field": "MessageSid", "reason": "required"},
        {"field": "MessageStatus", "reason": "required"},
    ]


def test_a_form_sent_as_json_is_a_shaped_415(comms: Client) -> None:
    status, body = post_callback(comms, body=b"{}", content_type="application/json")

    assert status == 415
    assert body["error_code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_an_unsigned_callback_is_refused_before_any_lookup(comms: Client) -> None:
    reads = dynamodb_reads(comms)

    status, body = post_callback(comms, signature=None)

    assert (status, body) == (403, NOT_VERIFIED)
    assert reads == []


def test_an_unknown_conversation_gets_the_same_answer_as_no_signature(comms: Client) -> None:
    reads = dynamodb_reads(comms)

    status, body = post_callback(comms)

    assert (status, body) == (403, NOT_VERIFIED)
    assert reads == ["GetItem"]
