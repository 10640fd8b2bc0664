"""The read API through the Chalice app, on the demo project as the hourly run and the thread
worker stored it in the tables the program declares (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from devstack.mocks import MotoMocks
from tests.functional.patches_support import PatchesApp, running_patches_app

pytestmark = pytest.mark.systems("patches")


@pytest.fixture(scope="module")
def api(dev_stack: MotoMocks) -> Iterator[PatchesApp]:
    """The demo project fetched and its threads stored, once for the module."""
    with pytest.MonkeyPatch.context() as patch:
        running = running_patches_app(dev_stack, patch)
        app = next(running)
        app.hold_demo()
        app.fire("fetch_recent_patches")
        app.drain_threads()
        yield app
        running.close()


def get(api: PatchesApp, path: str, **params: Any) -> tuple[int, dict[str, Any]]:
    query = f"?{urlencode(params)}" if params else ""
    response = api.client.http.get(f"{path}{query}")
    return response.status_code, json.loads(response.body)


def every_page(api: PatchesApp, path: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        status, body = get(api, path, **params)
        assert status == 200, body
        found += body["items"]
        if body["next"] is None:
            return found
        params["next"] = body["next"]


def test_patches_in_a_state_come_newest_first(api: PatchesApp) -> None:
    status, body = get(api, "/patches", state="new")

    assert status == 200
    dates = [p["date"] for p in body["items"]]
    assert len(dates) == 10  # series 501 (8) and two single patches
    assert dates == sorted(dates, reverse=True)
    assert {p["state"] for p in body["items"]} == {"new"}
    assert body["next"] is None
    first = body["items"][0]
    assert set(first) >= {"id", "name", "state", "date", "submitter", "series", "msgid", "web_url"}
    assert set(first["submitter"]) == {"name", "email"}


def test_pages_follow_each_other_with_the_next_token(api: PatchesApp) -> None:
    paged = every_page(api, "/patches", state="new", limit=3)

    _, whole = get(api, "/patches", state="new")
    assert paged == whole["items"]


def test_a_submitter_and_a_series_each_select_their_index(api: PatchesApp) -> None:
    _, by_series = get(api, "/patches", series="502")
    _, by_submitter = get(api, "/patches", submitter="Grace@Example.org")

    assert {p["series"]["id"] for p in by_series["items"]} == {"502"}
    assert len(by_series["items"]) == 6
    assert {p["submitter"]["email"] for p in by_submitter["items"]} == {"grace@example.org"}
    assert len(by_submitter["items"]) == 8 + 4 + 1  # series 501 and 503, one single patch


def test_since_and_until_bound_the_patch_date(api: PatchesApp) -> None:
    _, everything = get(api, "/patches", state="new")
    dates = sorted(p["date"] for p in everything["items"])

    _, window = get(api, "/patches", state="new", since=dates[2], until=dates[5])

    assert sorted(p["date"] for p in window["items"]) == dates[2:6]


@pytest.mark.parametrize(
    ("params", "problems"),
    [
        ({}, {"state"}),
        ({"state": "new", "series": "1"}, {"state", "series"}),
        ({"state": "new", "limit": "0"}, {"limit"}),
        ({"state": "new", "since": "yesterday"}, {"since"}),
        ({"state": "New State"}, {"state"}),
        ({"state": "new", "colour": "red"}, {"colour"}),
        ({"state": "new", "next": "bm90IGEgdG9rZW4"}, {"next"}),
    ],
)
def test_a_bad_parameter_is_a_400_in_the_shared_shape(
    api: PatchesApp, params: dict[str, str], problems: set[str]
) -> None:
    status, body = get(api, "/patches", **params)

    assert status == 400
    assert body["status"] == "error"
    assert body["error_code"] == "INVALID_QUERY"
    assert {e["parameter"] for e in body["errors"]} == problems
    assert all(e["reason"] for e in body["errors"])


def test_a_token_is_refused_with_another_query(api: PatchesApp) -> None:
    _, page = get(api, "/patches", state="new", limit=2)

    status, body = get(api, "/patches", state="accepted", limit=2, next=page["next"])

    assert status == 400
    assert body["errors"][0]["parameter"] == "next"


def test_a_patch_carries_its_discussion_summary(api: PatchesApp) -> None:
    status, body = get(api, "/patches/1001")

    assert status == 200
    assert body["id"] == "1001"
    assert body["series"] == {
        "id": "501",
        "name": "selftests/net: cover the new socket options",
        "version": 2,
    }
    assert body["discussion"]["thread_id"] == "501.0@linux-kselftest.demo.example.org"
    assert body["discussion"]["messages"] == 13
    assert body["discussion"]["last_activity"].endswith("Z")


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/patches/999999", 404, "PATCH_NOT_FOUND"),
        ("/patches/abc", 400, "INVALID_QUERY"),
        ("/patches/999999/discussions", 404, "PATCH_NOT_FOUND"),
    ],
)
def test_an_unknown_or_impossible_patch_is_refused_in_the_shared_shape(
    api: PatchesApp, path: str, status: int, code: str
) -> None:
    answered, body = get(api, path)

    assert answered == status
    assert (body["status"], body["error_code"]) == ("error", code)
    assert body["message"]


def test_a_patchs_discussion_comes_in_thread_order_page_by_page(api: PatchesApp) -> None:
    messages = every_page(api, "/patches/1001/discussions", limit=4)

    cover = "501.0@linux-kselftest.demo.example.org"
    review, answer, ack = (f"501.1.{t}@linux-kselftest.demo.example.org" for t in "rak")
    ids = [m["message_id"] for m in messages]
    assert len(ids) == 13
    assert ids[0] == cover
    assert ids[2:5] == [review, answer, ack]  # the nested review under patch 1
    by_id = {m["message_id"]: m for m in messages}
    assert by_id[answer]["in_reply_to"] == review
    assert by_id[review]["sentiment"] < 0 < by_id[ack]["sentiment"]
    assert set(by_id[review]) >= {
        "message_id",
        "in_reply_to",
        "author",
        "date",
        "subject",
        "excerpt",
        "sentiment",
    }
    assert by_id[review]["author"]["email"] == "shuah@example.org"
