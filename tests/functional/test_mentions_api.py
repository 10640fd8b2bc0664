"""``GET /mentions`` through the Chalice app, on the table the program declares in moto."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

from chalicelib.mentions.processing import Mention
from chalicelib.mentions.repository import MentionRepository
from devstack.mocks import MotoMocks
from devstack.services.awslambda.apps import load_app
from infra.registry import app_dir
from shared import aws
from shared.names import physical
from tests.conftest import REGION
from tests.functional.conftest import STACK

pytestmark = pytest.mark.systems("mentions")


def mention(i: int, source: str, day: int) -> Mention:
    return Mention(
        mention_id=f"{source}-{i}",
        timestamp=f"2026-11-{day:02d}T10:{i // 60:02d}:{i % 60:02d}Z",
        source=source,
        text=f"mention {i}",
    )


@pytest.fixture(scope="module")
def stored(dev_stack: MotoMocks) -> list[Mention]:
    """45 twitter mentions over 15-17 November, 5 news mentions on the 16th."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(physical("mentions", STACK))
    mentions = [mention(i, "twitter", 15 + i // 15) for i in range(45)]
    mentions += [mention(i, "news", 16) for i in range(5)]
    MentionRepository(table, retention_days=30).put_many(mentions)
    return mentions


@pytest.fixture
def api(
    dev_stack: MotoMocks, stored: list[Mention], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Client]:
    reader = physical("mentions-api-handler", STACK)
    for name, value in dev_stack.function_environment(reader).items():
        monkeypatch.setenv(name, value)
    module = load_app("mentions")
    from chalicelib.mentions import wiring

    wiring.reset()
    with Client(module.app, stage_name="package", project_dir=str(app_dir("mentions"))) as client:
        yield client
    wiring.reset()
    aws.reset_clients()


def get(api: Client, **params: Any) -> tuple[int, dict[str, Any]]:
    response = api.http.get(f"/mentions?{urlencode(params)}")
    return response.status_code, json.loads(response.body)


def test_a_source_in_a_range_is_listed_newest_first(api: Client, stored: list[Mention]) -> None:
    status, body = get(
        api, source="twitter", since="2026-11-16T00:00:00Z", until="2026-11-16T23:59:59Z"
    )

    assert status == 200
    expected = sorted(
        (m for m in stored if m.source == "twitter" and m.timestamp.startswith("2026-11-16")),
        key=lambda m: m.timestamp,
        reverse=True,
    )
    assert body == {"mentions": [m.model_dump() for m in expected], "next": None}


def test_pages_follow_the_next_token_without_gaps_or_repeats(
    api: Client, stored: list[Mention]
) -> None:
    seen: list[str] = []
    status, body = get(api, source="twitter", limit=20)
    pages = 1
    while body["next"]:
        assert status == 200
        seen += [m["mention_id"] for m in body["mentions"]]
        status, body = get(api, source="twitter", limit=20, next=body["next"])
        pages += 1
    seen += [m["mention_id"] for m in body["mentions"]]

    assert pages == 3
    assert sorted(seen) == sorted(m.mention_id for m in stored if m.source == "twitter")
    assert len(seen) == len(set(seen))


def test_a_token_is_opaque_and_bound_to_its_query(api: Client) -> None:
    _, first = get(api, source="twitter", limit=5)
    token = first["next"]
    assert "twitter-" not in token  # nothing readable at a glance

    assert get(api, source="news", next=token)[0] == 400
    status, body = get(api, source="twitter", until="2026-11-16T00:00:00Z", next=token)
    assert status == 400
    assert body["errors"] == [
        {"parameter": "next", "reason": "not a token of this query (source, since or until differ)"}
    ]
    forged = base64.urlsafe_b64encode(b'{"k": {"mention_id": 1}}').decode()
    assert get(api, source="twitter", next=forged)[1]["errors"][0] == {
        "parameter": "next",
        "reason": "not a token this API issued",
    }


@pytest.mark.parametrize(
    ("params", "problems"),
    [
        ({}, {"source": "required"}),
        (
            {"source": "twitter", "limit": "0"},
            {"limit": "Input should be greater than or equal to 1"},
        ),
        (
            {"source": "twitter", "limit": "500"},
            {"limit": "Input should be less than or equal to 100"},
        ),
        (
            {"source": "twitter", "limit": "ten"},
            {"limit": "Input should be a valid integer, unable to parse string as an integer"},
        ),
        (
            {"source": "twitter", "since": "last week"},
            {"since": "Value error, not an ISO 8601 date-time (e.g. 2026-11-20T10:00:00Z)"},
        ),
        (
            {"source": "twitter", "since": "2026-11-17T00:00:00Z", "until": "2026-11-16T00:00:00Z"},
            {"since": "is after until (2026-11-16T00:00:00Z)"},
        ),
        ({"source": "twitter", "sort": "asc"}, {"sort": "unknown parameter"}),
        (
            {"limit": "-1", "until": "soon"},
            {
                "source": "required",
                "limit": "Input should be greater than or equal to 1",
                "until": "Value error, not an ISO 8601 date-time (e.g. 2026-11-20T10:00:00Z)",
            },
        ),
    ],
)
def test_bad_parameters_get_a_400_naming_each_and_why(
    api: Client, params: dict[str, str], problems: dict[str, str]
) -> None:
    status, body = get(api, **params)

    assert status == 400
    assert body["error_code"] == "INVALID_QUERY"
    assert {e["parameter"]: e["reason"] for e in body["errors"]} == problems


def test_dates_with_an_offset_are_read_as_utc(api: Client) -> None:
    _, body = get(
        api, source="news", since="2026-11-16T11:00:00+01:00", until="2026-11-16T11:00:02+01:00"
    )

    assert [m["mention_id"] for m in body["mentions"]] == ["news-2", "news-1", "news-0"]


def test_an_unknown_parameter_is_refused_in_the_shared_shape(api: Client) -> None:
    status, body = get(api, source="twitter", sort="asc")

    assert status == 400
    assert body == {
        "status": "error",
        "error_code": "INVALID_QUERY",
        "message": "invalid query: sort: unknown parameter",
        "request_id": None,
        "errors": [{"parameter": "sort", "reason": "unknown parameter"}],
    }


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("since", "0001-01-01T00:00:00+01:00"), ("until", "9999-12-31T23:59:59-01:00")],
)
def test_a_date_with_no_utc_equivalent_is_a_400_naming_it(
    api: Client, parameter: str, value: str
) -> None:
    status, body = get(api, **{"source": "twitter", parameter: value})

    assert status == 400
    assert body["error_code"] == "INVALID_QUERY"
    assert body["errors"] == [
        {
            "parameter": parameter,
            "reason": "Value error, out of range: in UTC it falls outside the years 0001 to 9999",
        }
    ]


def test_a_table_that_fails_is_a_503_with_retry_after_and_no_aws_detail(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.mentions import env, wiring

    monkeypatch.setenv(env.MENTIONS_TABLE, "mentions-table-that-is-gone")
    wiring.reset()

    response = api.http.get("/mentions?source=twitter")

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    body = json.loads(response.body)
    assert body["error_code"] == "SERVICE_UNAVAILABLE"
    assert "mentions-table-that-is-gone" not in response.body.decode()
    assert "ResourceNotFound" not in response.body.decode()


def test_a_missing_setting_is_a_500_that_does_not_name_it(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.mentions import env, wiring

    monkeypatch.delenv(env.MENTIONS_TABLE)
    wiring.reset()

    response = api.http.get("/mentions?source=twitter")

    assert response.status_code == 500
    assert json.loads(response.body)["error_code"] == "INTERNAL_ERROR"
    assert env.MENTIONS_TABLE not in response.body.decode()
