"""POST /initiate-conversation through Chalice's test client, against the dev stack in moto."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.comms.names import CHANNELS
from devstack.mocks import MotoMocks
from devstack.profiles.comms import DEMO_COMPANY_ID, DEMO_PROJECT_ID, demo_company_config
from tests.functional.comms_support import comms_app, company_data, queue_urls
from tests.functional.conftest import drain

pytestmark = pytest.mark.systems("comms")


@pytest.fixture
def comms(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    yield from comms_app(dev_stack, monkeypatch)


HEADERS = {"Content-Type": "application/json"}


def request_body(channel: str = "whatsapp", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "company_data": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID},
        "recipient_data": {
            "recipient_first_name": "Lee",
            "recipient_last_name": "Hayton",
            "recipient_tel": "+447700900123",
            "recipient_email": "lee@example.com",
            "comms_consent": True,
        },
        "project_data": {
            "jobID": "9999",
            "jobRole": "Healthcare Assistant",
            "clarificationPoints": [{"point": "Driving licence?", "pointConfirmed": "false"}],
        },
        "request_data": {
            "request_id": str(uuid.uuid4()),
            "channel_method": channel,
            "initial_request_timestamp": "2026-11-23T08:00:00Z",
        },
    }
    for path, value in overrides.items():
        section, _, field = path.partition("__")
        if value is _DELETE:
            del body[section][field]
        else:
            body[section][field] = value
    return body


_DELETE = object()


def post(client: Client, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.http.post("/initiate-conversation", headers=HEADERS, body=raw)


def all_queued(dev_stack: Any) -> dict[str, list[dict[str, Any]]]:
    return {channel: drain(url) for channel, url in queue_urls(dev_stack).items()}


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_valid_request_is_queued_on_its_channel_with_the_context_object(
    comms: Client, dev_stack: Any, channel: str
) -> None:
    body = request_body(channel)

    response = post(comms, body)

    assert response.status_code == 200, response.body
    answer = json.loads(response.body)
    assert answer["status"] == "success"
    assert answer["request_id"] == body["request_data"]["request_id"]
    queued = all_queued(dev_stack)
    assert {c: len(m) for c, m in queued.items()} == {c: int(c == channel) for c in CHANNELS}
    message = queued[channel][0]
    context = json.loads(message["Body"])
    assert context["frontend_payload"] == body
    assert context["company_data_payload"] == demo_company_config()
    assert context["conversation_data"]["conversation_id"] == answer["conversation_id"]
    assert context["conversation_data"]["conversation_start_timestamp"] == answer["queued_at"]
    assert context["metadata"]["router_version"]
    assert message["MessageAttributes"]["channel"]["StringValue"] == channel


def test_the_same_request_sent_twice_names_the_same_conversation(comms: Client) -> None:
    body = request_body()
    first = json.loads(post(comms, body).body)
    second = json.loads(post(comms, body).body)
    other = json.loads(post(comms, request_body()).body)

    assert first["conversation_id"] == second["conversation_id"]
    assert other["conversation_id"] != first["conversation_id"]


def test_fields_the_contract_does_not_name_are_passed_through(
    comms: Client, dev_stack: Any
) -> None:
    body = request_body(project_data__extra={"nested": [1, 2]})
    body["request_data"]["client_trace"] = "abc"

    assert post(comms, body).status_code == 200
    context = json.loads(all_queued(dev_stack)["whatsapp"][0]["Body"])
    assert context["frontend_payload"]["request_data"]["client_trace"] == "abc"
    assert context["frontend_payload"]["project_data"]["extra"] == {"nested": [1, 2]}


BAD_INPUTS = {
    "missing company_id": (
        request_body(company_data__company_id=_DELETE),
        400,
        "company_data.company_id",
    ),
    "missing request_data": (
        {k: v for k, v in request_body().items() if k != "request_data"},
        400,
        "request_data",
    ),
    "request_id not a uuid": (
        request_body(request_data__request_id="req-1"),
        400,
        "request_data.request_id",
    ),
    "request_id a uuid1": (
        request_body(request_data__request_id=str(uuid.uuid1())),
        400,
        "request_data.request_id",
    ),
    "phone not E.164": (
        request_body(recipient_data__recipient_tel="07700 900123"),
        400,
        "recipient_data.recipient_tel",
    ),
    "whatsapp without a phone": (
        request_body(recipient_data__recipient_tel=_DELETE),
        400,
        "recipient_data.recipient_tel",
    ),
    "email without an address": (
        request_body("email", recipient_data__recipient_email=_DELETE),
        400,
        "recipient_data.recipient_email",
    ),
    "bad email": (
        request_body("email", recipient_data__recipient_email="lee@"),
        400,
        "recipient_data.recipient_email",
    ),
    "no consent": (
        request_body(recipient_data__comms_consent=False),
        400,
        "recipient_data.comms_consent",
    ),
    "consent as a string": (
        request_body(recipient_data__comms_consent="true"),
        400,
        "recipient_data.comms_consent",
    ),
    "unknown channel": (
        request_body(request_data__channel_method="fax"),
        400,
        "request_data.channel_method",
    ),
    "naive timestamp": (
        request_body(request_data__initial_request_timestamp="2026-11-23T08:00:00"),
        400,
        "request_data.initial_request_timestamp",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_an_invalid_field_is_named_with_its_reason_and_nothing_is_queued(
    comms: Client, dev_stack: Any, case: str
) -> None:
    body, status, field = BAD_INPUTS[case]

    response = post(comms, copy.deepcopy(body))

    assert response.status_code == status
    answer = json.loads(response.body)
    assert answer["status"] == "error"
    assert answer["error_code"] == "VALIDATION_ERROR"
    reasons = {e["field"]: e["reason"] for e in answer["errors"]}
    assert field in reasons, reasons
    assert reasons[field]
    assert field in answer["message"]
    assert all(not m for m in all_queued(dev_stack).values())


def test_every_bad_field_is_reported_at_once(comms: Client) -> None:
    body = request_body(request_data__request_id="nope", recipient_data__recipient_tel="123")
    answer = json.loads(post(comms, body).body)
    assert {e["field"] for e in answer["errors"]} == {
        "request_data.request_id",
        "recipient_data.recipient_tel",
    }


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "", '"text"'])
def test_a_body_that_is_not_a_json_object_is_malformed(
    comms: Client, dev_stack: Any, raw: str
) -> None:
    response = post(comms, raw)

    assert response.status_code == 400
    assert json.loads(response.body)["error_code"] == "MALFORMED_JSON"
    assert all(not m for m in all_queued(dev_stack).values())


def store_config(**changes: Any) -> None:
    item = demo_company_config() | changes
    company_data().put_item(Item=item)


@pytest.mark.parametrize(
    ("body", "config", "status", "code"),
    [
        (request_body(company_data__company_id="ci-unknown"), {}, 404, "COMPANY_NOT_FOUND"),
        (request_body(company_data__project_id="pi-unknown"), {}, 404, "COMPANY_NOT_FOUND"),
        (request_body(), {"project_status": "paused"}, 403, "PROJECT_INACTIVE"),
        (request_body("sms"), {"allowed_channels": ["whatsapp"]}, 403, "CHANNEL_NOT_ALLOWED"),
    ],
    ids=["unknown company", "unknown project", "inactive project", "channel not allowed"],
)
def test_a_request_the_company_config_refuses_queues_nothing(
    comms: Client,
    dev_stack: Any,
    body: dict[str, Any],
    config: dict[str, Any],
    status: int,
    code: str,
) -> None:
    store_config(**config)

    response = post(comms, body)

    assert response.status_code == status
    answer = json.loads(response.body)
    assert answer["error_code"] == code
    assert answer["request_id"] == body["request_data"]["request_id"]
    assert all(not m for m in all_queued(dev_stack).values())


def channel_config_without(channel: str, *fields: str) -> dict[str, Any]:
    """The demo company's channel_config, ``fields`` removed from ``channel``'s settings."""
    channels = copy.deepcopy(demo_company_config()["channel_config"])
    for field in fields:
        del channels[channel][field]
    return channels


@pytest.mark.parametrize(
    ("channel", "channel_config", "message"),
    [
        (
            "email",
            channel_config_without("email", "company_email", "email_credentials_id"),
            "channel 'email' cannot send for this project: its channel_config.email lacks "
            "company_email, email_credentials_id",
        ),
        (
            "email",
            {k: v for k, v in demo_company_config()["channel_config"].items() if k != "email"},
            "channel 'email' cannot send for this project: its channel_config.email lacks "
            "company_email, email_credentials_id",
        ),
        (
            "sms",
            channel_config_without("sms", "sms_credentials_id"),
            "channel 'sms' cannot send for this project: its channel_config.sms lacks "
            "sms_credentials_id",
        ),
        (
            "whatsapp",
            channel_config_without("whatsapp", "content_sid"),
            "channel 'whatsapp' cannot send for this project: its channel_config.whatsapp "
            "lacks content_sid",
        ),
    ],
    ids=["email without sender and credentials", "no email settings", "sms", "whatsapp"],
)
def test_a_channel_the_config_cannot_send_on_is_a_409_and_nothing_is_queued(
    comms: Client, dev_stack: Any, channel: str, channel_config: dict[str, Any], message: str
) -> None:
    store_config(channel_config=channel_config)
    body = request_body(channel)

    response = post(comms, body)

    assert response.status_code == 409
    assert json.loads(response.body) == {
        "status": "error",
        "error_code": "CHANNEL_NOT_CONFIGURED",
        "message": message,
        "request_id": body["request_data"]["request_id"],
    }
    assert all(not m for m in all_queued(dev_stack).values())


def test_an_unusable_stored_config_is_our_fault(comms: Client, dev_stack: Any) -> None:
    item = demo_company_config()
    del item["allowed_channels"]
    company_data().put_item(Item=item)

    response = post(comms, request_body())

    assert response.status_code == 500
    assert json.loads(response.body)["error_code"] == "COMPANY_CONFIG_INVALID"
    assert all(not m for m in all_queued(dev_stack).values())


def test_a_queue_that_refuses_the_message_gives_503(
    comms: Client, dev_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.comms import wiring

    urls = queue_urls(dev_stack) | {"whatsapp": queue_urls(dev_stack)["whatsapp"] + "-gone"}
    monkeypatch.setenv("CHANNEL_QUEUE_URLS", json.dumps(urls))
    wiring.reset()

    response = post(comms, request_body())

    assert response.status_code == 503
    assert json.loads(response.body)["error_code"] == "QUEUE_UNAVAILABLE"
    assert all(not m for m in all_queued(dev_stack).values())


def test_a_missing_setting_is_a_500_in_the_contract_format(
    comms: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.comms import wiring

    monkeypatch.delenv("COMPANY_DATA_TABLE")
    wiring.reset()

    response = post(comms, request_body())

    assert response.status_code == 500
    assert json.loads(response.body)["status"] == "error"


def test_a_burst_for_one_project_reads_its_config_once(comms: Client) -> None:
    from chalicelib.comms import wiring

    reads: list[str] = []
    table = wiring.company_configs()._table  # the repository's own client
    table.meta.client.meta.events.register(
        "before-call.dynamodb.GetItem", lambda **kwargs: reads.append("GetItem")
    )

    statuses = [post(comms, request_body()).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert reads == ["GetItem"]


# One error shape (specs/errors.md) and the limits of what is accepted (issue 12).

ERROR_KEYS = {"status", "error_code", "message", "request_id"}


def test_an_unknown_query_parameter_is_refused_in_the_shared_shape(
    comms: Client, dev_stack: Any
) -> None:
    response = comms.http.post(
        "/initiate-conversation?dry_run=1", headers=HEADERS, body=json.dumps(request_body())
    )

    assert response.status_code == 400
    assert json.loads(response.body) == {
        "status": "error",
        "error_code": "INVALID_QUERY",
        "message": "invalid query: dry_run: unknown parameter",
        "request_id": None,
        "errors": [{"parameter": "dry_run", "reason": "unknown parameter"}],
    }
    assert all(not m for m in all_queued(dev_stack).values())


def test_a_malformed_body_is_answered_in_the_shared_shape(comms: Client) -> None:
    answer = json.loads(post(comms, "{not json").body)

    assert set(answer) == ERROR_KEYS
    assert answer["status"] == "error"
    assert answer["error_code"] == "MALFORMED_JSON"
    assert answer["message"].startswith("the body is not valid JSON")
    assert answer["request_id"] is None


def test_a_body_that_is_not_declared_json_is_a_shaped_415(comms: Client) -> None:
    response = comms.http.post(
        "/initiate-conversation",
        headers={"Content-Type": "text/plain"},
        body=json.dumps(request_body()),
    )

    assert response.status_code == 415
    answer = json.loads(response.body)
    assert set(answer) == ERROR_KEYS
    assert answer["error_code"] == "UNSUPPORTED_MEDIA_TYPE"


def with_raw_project_data(body: dict[str, Any], raw: str) -> str:
    """The request's JSON text with ``project_data.value`` replaced by raw JSON text (a
    value ``json.dumps`` itself could not write, or would write too slowly)."""
    body["project_data"]["value"] = "__RAW__"
    return json.dumps(body).replace('"__RAW__"', raw)


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 969 + "]" * 969,
        with_raw_project_data(request_body(), "[" * 969 + "]" * 969),
        with_raw_project_data(request_body(), '{"a":' * 40 + "1" + "}" * 40),
    ],
    ids=["a bare array", "deep inside project_data", "objects 40 deep"],
)
def test_a_body_nested_too_deep_is_a_400_and_nothing_is_queued(
    comms: Client, dev_stack: Any, raw: str
) -> None:
    response = post(comms, raw)

    assert response.status_code == 400
    answer = json.loads(response.body)
    assert answer["error_code"] == "NESTING_TOO_DEEP"
    assert "more than 32 levels" in answer["message"]
    assert all(not m for m in all_queued(dev_stack).values())


def test_a_body_too_large_for_one_queue_message_is_a_413_and_nothing_is_queued(
    comms: Client, dev_stack: Any
) -> None:
    body = request_body(project_data__notes="😀" * 90_000)  # 360 KB as UTF-8, 1 MB escaped

    response = post(comms, body)

    assert response.status_code == 413, response.body
    answer = json.loads(response.body)
    assert answer["error_code"] == "PAYLOAD_TOO_LARGE"
    assert answer["request_id"] == body["request_data"]["request_id"]
    assert "262,144 bytes (256 KiB)" in answer["message"]
    assert all(not m for m in all_queued(dev_stack).values())


def test_a_body_just_under_the_queue_limit_is_queued(comms: Client, dev_stack: Any) -> None:
    body = request_body(project_data__notes="x" * 250_000)

    assert post(comms, body).status_code == 200
    (message,) = all_queued(dev_stack)["whatsapp"]
    assert json.loads(message["Body"])["frontend_payload"] == body


def test_numbers_with_a_fraction_are_accepted_and_passed_on(comms: Client, dev_stack: Any) -> None:
    body = request_body(project_data__salary=1.5)
    body["project_data"]["rates"] = [0.1, 2.5e-3]

    assert post(comms, body).status_code == 200
    context = json.loads(all_queued(dev_stack)["whatsapp"][0]["Body"])
    assert context["frontend_payload"]["project_data"]["salary"] == 1.5
    assert context["frontend_payload"]["project_data"]["rates"] == [0.1, 2.5e-3]


@pytest.mark.parametrize(
    ("project_data", "field", "reason"),
    [
        ({"": "x"}, "project_data", "has an empty key"),
        ({"shift": {"": 1}}, "project_data.shift", "has an empty key"),
        ({"id": 10**40}, "project_data.id", "38 significant digits"),
        ({"tiny": 1e-200}, "project_data.tiny", "outside the numbers DynamoDB stores"),
    ],
    ids=["empty key", "nested empty key", "too many digits", "too small"],
)
def test_what_could_never_be_stored_is_refused_naming_its_field(
    comms: Client, dev_stack: Any, project_data: dict[str, Any], field: str, reason: str
) -> None:
    body = request_body()
    body["project_data"].update(project_data)

    response = post(comms, body)

    assert response.status_code == 400
    answer = json.loads(response.body)
    assert answer["error_code"] == "VALIDATION_ERROR"
    reasons = {e["field"]: e["reason"] for e in answer["errors"]}
    assert reason in reasons[field]
    assert all(not m for m in all_queued(dev_stack).values())


def test_a_queue_failure_says_when_to_retry_and_never_what_aws_said(
    comms: Client, dev_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.comms import wiring

    gone = queue_urls(dev_stack)["whatsapp"] + "-gone"
    monkeypatch.setenv("CHANNEL_QUEUE_URLS", json.dumps(queue_urls(dev_stack) | {"whatsapp": gone}))
    wiring.reset()

    response = post(comms, request_body())

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    text = response.body.decode()
    assert "-gone" not in text
    assert "NonExistentQueue" not in text
    assert set(json.loads(text)) == ERROR_KEYS
