"""Request validation without any AWS: edges the HTTP tests do not reach."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.comms.context import build_context, conversation_id_for
from chalicelib.comms.exceptions import InvalidRequestError
from chalicelib.comms.validation import parse_request
from shared.errors import MalformedJsonError


def body(**recipient: Any) -> dict[str, Any]:
    return {
        "company_data": {"company_id": "c", "project_id": "p"},
        "recipient_data": {"comms_consent": True, "recipient_tel": "+447700900123", **recipient},
        "request_data": {
            "request_id": str(uuid.uuid4()),
            "channel_method": "sms",
            "initial_request_timestamp": "2026-11-23T08:00:00+01:00",
        },
    }


@pytest.mark.parametrize("tel", ["+12025550123", "+447700900123", "+861012345678901"])
def test_e164_numbers_are_accepted(tel: str) -> None:
    request, _ = parse_request(json.dumps(body(recipient_tel=tel)))
    assert request.recipient_data.recipient_tel == tel


@pytest.mark.parametrize(
    "tel", ["447700900123", "+0447700900123", "+44 7700 900123", "+1234567", "+4477009001234567"]
)
def test_non_e164_numbers_are_refused_with_the_reason(tel: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_request(json.dumps(body(recipient_tel=tel)))
    (problem,) = caught.value.problems
    assert problem.field == "recipient_data.recipient_tel"
    assert "E.164" in problem.reason


def test_the_request_id_is_echoed_even_when_the_body_is_invalid() -> None:
    payload = body(recipient_tel="nope")
    with pytest.raises(InvalidRequestError) as caught:
        parse_request(json.dumps(payload))
    assert caught.value.request_id == payload["request_data"]["request_id"]


def test_bytes_that_are_not_utf8_are_malformed() -> None:
    with pytest.raises(MalformedJsonError):
        parse_request(b"\xff\xfe{")


def test_the_body_is_returned_exactly_as_received() -> None:
    payload = body()
    payload["recipient_data"]["recipient_first_name"] = "  Lee  "
    _, received = parse_request(json.dumps(payload))
    assert received == payload


def test_a_conversation_id_is_stable_per_request_and_distinct_across_requests() -> None:
    first = conversation_id_for("c", "p", "r1")
    assert first == conversation_id_for("c", "p", "r1")
    assert (
        len({first, conversation_id_for("c", "p", "r2"), conversation_id_for("c", "q", "r1")}) == 3
    )
    assert uuid.UUID(first).version == 5


def test_the_context_carries_utc_timestamps_with_a_z() -> None:
    now = datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC)
    context = build_context({"a": 1}, {"company_id": "c"}, "conv", now)
    assert context["conversation_data"] == {
        "conversation_id": "conv",
        "conversation_start_timestamp": "2026-11-23T08:00:01Z",
    }
    assert set(context) == {
        "frontend_payload",
        "company_data_payload",
        "conversation_data",
        "metadata",
    }


def test_a_section_that_is_not_an_object_says_so_in_json_terms() -> None:
    payload = body()
    payload["company_data"] = 1
    with pytest.raises(InvalidRequestError) as caught:
        parse_request(json.dumps(payload))
    (problem,) = caught.value.problems
    assert (problem.field, problem.reason) == ("company_data", "must be a JSON object")
