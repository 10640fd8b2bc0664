"""The configuration API (seed 002 §10.1, §10.3) through the Chalice app with the program's
environment and tables (moto): validation in the shared error shape, the cost estimate of a
known setting, saves answered with their cost impact and audited, conflicts refused, any
change undone from the history, the latest ranking per topic."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.trends import wiring
from chalicelib.trends.ranking import Scored, engagement, rank_trends
from chalicelib.trends.videos import Video
from devstack.program import RecordingMocks
from devstack.services.awslambda.apps import load_app
from shared.names import physical
from tests.trends_support import STACK, trends_in_moto

# Chalice's test client lets every token through its Cognito authorizer and says so on each
# request; these tests give it the claims API Gateway would (the local gateway's tests
# check the tokens themselves).
pytestmark = pytest.mark.filterwarnings(
    "ignore:CognitoUserPoolAuthorizer is not a supported in local mode:UserWarning"
)
ALICE = {"sub": "sub-alice", "email": "alice@example.com"}
BOB = {"sub": "sub-bob", "email": "bob@example.com"}
KNOWN: dict[str, Any] = {
    "topics": [
        {"name": "education", "videos_per_day": 2, "prompt": "Explain {trend} simply."},
        {"name": "technology", "prompt": "What is {trend}?"},
        {"name": "finance", "enabled": False, "videos_per_day": 3, "prompt": "Money: {trend}"},
    ],
    "video": {
        "min_minutes": 4,
        "max_minutes": 6,
        "resolution": "540p",
        "generated_seconds_per_minute": 6,
        "voice_engine": "neural",
        "voice": "Joanna",
    },
}


@pytest.fixture(scope="module")
def moto() -> Iterator[RecordingMocks]:
    with trends_in_moto() as mocks:
        yield mocks


@pytest.fixture
def api(moto: RecordingMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    for name, value in moto.function_environment(physical("trends-api-handler", STACK)).items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    with Client(load_app("trends").app, stage_name=STACK) as client:
        yield client
    table = wiring.config_store()._table
    for item in table.scan()["Items"]:
        table.delete_item(Key={"config_id": item["config_id"], "version": item["version"]})
    wiring.reset()


def token(person: dict[str, str], **claims: Any) -> str:
    """An ID token as Chalice's local authorizer reads it (API Gateway checks signatures;
    the local gateway's tests cover that)."""
    body = {
        "cognito:username": person["email"],
        "token_use": "id",
        "aud": wiring.client_id(),
        **person,
        **claims,
    }
    part = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{part}.sig"


def call(
    api: Client,
    method: str,
    path: str,
    body: Any = None,
    who: dict[str, str] = ALICE,
    **claims: Any,
) -> tuple[int, dict[str, Any]]:
    response = api.http.request(
        method,
        path,
        headers={"Authorization": token(who, **claims), "Content-Type": "application/json"},
        body=b"" if body is None else json.dumps(body).encode(),
    )
    return response.status_code, json.loads(response.body)


def test_before_any_save_the_defaults_are_in_force_with_their_cost(api: Client) -> None:
    status, answer = call(api, "GET", "/config")

    assert status == 200
    assert answer["version"] == 0
    assert [t["name"] for t in answer["config"]["topics"]] == [
        "education",
        "investing",
        "tourism",
        "technology",
        "health",
        "finance",
    ]
    assert (answer["config"]["video"]["min_minutes"], answer["config"]["video"]["max_minutes"]) == (
        5,
        10,
    )
    assert answer["cost"]["videos_per_month"] == 180


def test_the_cost_of_a_known_setting(api: Client) -> None:
    status, answer = call(api, "POST", "/config/estimate", {"config": KNOWN})

    # 5 minutes typical: 30 s of 540p video at $0.75, 4,500 neural characters at $16 per
    # million, 5 HD minutes at $0.015; 3 videos a day from the enabled topics, 30 days.
    assert status == 200
    assert answer["cost"] == {
        "currency": "USD",
        "per_video": {
            "bedrock_video": 22.5,
            "polly_narration": 0.072,
            "mediaconvert": 0.075,
            "total": 22.65,
        },
        "videos_per_month": 90,
        "per_month": 2038.23,
    }


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"video": {"min_minutes": 12, "max_minutes": 8}},
            "config.video",
            "min_minutes must not exceed",
        ),
        ({"video": {"max_minutes": 25}}, "config.video.max_minutes", "less than or equal to 20"),
        (
            {"video": {"voice_engine": "long-form", "voice": "Matthew"}},
            "config.video",
            "not a long-form voice",
        ),
        ({"video": {"style": "vlog"}}, "config.video.style", "'explainer'"),
        ({"video": {"speed": 2}}, "config.video.speed", "Extra inputs"),
        (
            {"topics": [{"name": "tech", "prompt": "no placeholder here"}]},
            "config.topics.0.prompt",
            "{trend}",
        ),
        (
            {
                "topics": [
                    {"name": "a", "prompt": "One {trend} a"},
                    {"name": "a", "prompt": "Two {trend} b"},
                ]
            },
            "config.topics",
            "repeat: a",
        ),
        ({"topics": []}, "config.topics", "at least 1"),
    ],
)
def test_an_invalid_configuration_is_refused_field_by_field_in_the_shared_shape(
    api: Client, change: dict[str, Any], field: str, reason: str
) -> None:
    status, answer = call(api, "PUT", "/config", {"base_version": 0, "config": change})

    assert status == 400
    assert answer["status"] == "error" and answer["error_code"] == "VALIDATION_ERROR"
    assert any(p["field"] == field and reason in p["reason"] for p in answer["errors"]), answer
    assert call(api, "GET", "/config")[1]["version"] == 0  # nothing stored


def test_a_save_answers_its_cost_impact_and_is_audited(
    api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    status, saved = call(api, "PUT", "/config", {"base_version": 0, "config": KNOWN})

    assert status == 200
    assert saved["version"] == 1
    assert saved["cost_impact"]["after"]["per_month"] == 2038.23
    assert saved["cost_impact"]["before"]["videos_per_month"] == 180
    assert saved["cost_impact"]["change"]["per_month"] == pytest.approx(
        2038.23 - 20289.69, abs=0.02
    )
    (entry,) = call(api, "GET", "/config/history")[1]["versions"]
    assert entry["changed_by"] == ALICE and entry["action"] == "update"
    assert (
        entry["before"]["video"]["min_minutes"] == 5 and entry["after"]["video"]["min_minutes"] == 4
    )
    audit = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if "configuration changed" in line
    ]
    assert audit[0]["changed_by"]["email"] == ALICE["email"]
    assert (
        audit[0]["before"]["video"]["max_minutes"] == 10
        and audit[0]["after"]["video"]["max_minutes"] == 6
    )


def test_a_save_made_on_an_older_version_is_refused(api: Client) -> None:
    call(api, "PUT", "/config", {"base_version": 0, "config": KNOWN})

    status, answer = call(api, "PUT", "/config", {"base_version": 0, "config": {}}, who=BOB)

    assert (status, answer["error_code"]) == (409, "CONFIG_CONFLICT")
    assert "version 1" in answer["message"]


def test_any_change_is_undone_from_the_history_as_a_new_version(api: Client) -> None:
    call(api, "PUT", "/config", {"base_version": 0, "config": KNOWN})
    louder = KNOWN | {"video": KNOWN["video"] | {"resolution": "720p"}}
    call(api, "PUT", "/config", {"base_version": 1, "config": louder}, who=BOB)

    status, undone = call(api, "POST", "/config/history/2/undo")

    assert status == 200
    assert (undone["version"], undone["config"]["video"]["resolution"]) == (3, "540p")
    assert undone["cost_impact"]["change"]["per_month"] < 0
    versions = call(api, "GET", "/config/history?limit=2")[1]
    assert [(v["version"], v["action"], v["undo_of"]) for v in versions["versions"]] == [
        (3, "undo", 2),
        (2, "update", None),
    ]
    assert versions["before"] == 2
    older = call(api, "GET", "/config/history?limit=2&before=2")[1]
    assert [v["version"] for v in older["versions"]] == [1] and older["before"] is None


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/config/history/9/undo", 404, "VERSION_NOT_FOUND"),
        ("/config/history/0/undo", 404, "VERSION_NOT_FOUND"),
        ("/config/history/two/undo", 400, "INVALID_QUERY"),
    ],
)
def test_undoing_what_is_no_change_is_refused(
    api: Client, path: str, status: int, code: str
) -> None:
    answer = call(api, "POST", path)
    assert (answer[0], answer[1]["error_code"]) == (status, code)


def test_a_token_of_another_app_client_is_refused(api: Client) -> None:
    status, answer = call(api, "GET", "/config", aud="another-client")
    assert (status, answer["error_code"]) == (401, "UNAUTHORIZED")


def test_the_page_and_its_sign_in_settings_need_no_token(api: Client) -> None:
    page = api.http.get("/")
    settings = json.loads(api.http.get("/sign-in").body)

    assert page.status_code == 200 and b"Cost estimate" in page.body
    assert settings["client_id"] == wiring.client_id()


def test_the_latest_ranking_of_a_topic(api: Client, moto: RecordingMocks) -> None:
    now = datetime(2026, 12, 6, 13, tzinfo=UTC)
    video = Video.from_api(
        {
            "id": "v1",
            "snippet": {
                "publishedAt": "2026-12-06T10:00:00Z",
                "channelId": "c",
                "title": "AI agents",
                "categoryId": "28",
            },
            "statistics": {"viewCount": "3000"},
        }
    )
    trends = rank_trends([Scored(video, engagement(video, now, None), ("ai agents",))])
    wiring.rankings().store_ranking("technology", now, trends)

    status, answer = call(api, "GET", "/trends/technology")

    assert status == 200
    assert [(t["rank"], t["keyword"], t["video_count"]) for t in answer["trends"]] == [
        (1, "ai agents", 1)
    ]
    assert answer["trends"][0]["videos"][0]["video_id"] == "v1"
