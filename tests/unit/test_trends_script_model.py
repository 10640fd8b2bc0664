"""trends' script writer on the local Bedrock: it answers the ``write_video_script`` tool
with a script sized to the brief, the same for the same brief, through the local Converse
in Bedrock Runtime's wire format (parsed by botocore's own parser); the markers rehearse a
failing and a throttled model."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from devstack.profiles.csvchat_model import MODEL as TEXT_TO_SQL
from devstack.profiles.trends import PROFILE as TRENDS
from devstack.profiles.trends_model import (
    MAX_SCENES,
    MAX_TITLE,
    MODEL,
    TOOL,
    WORDS_PER_SECOND,
    Script,
)
from tests.unit.converse_support import converse

BRIEF: dict[str, Any] = {
    "topic": "ai agents",
    "keywords": ["autonomous coding", "agent frameworks"],
    "trend_titles": ["I let an AI agent run my company for a week", "Agents explained"],
    "target_seconds": 45,
    "scene_seconds": 9,
    "voice_style": "upbeat",
}


def _request(brief: dict[str, Any] | str) -> dict[str, Any]:
    text = brief if isinstance(brief, str) else json.dumps(brief)
    spec = {"name": TOOL, "inputSchema": {"json": Script.model_json_schema()}}
    return {
        "system": [{"text": "You write short videos about what is trending."}],
        "messages": [{"role": "user", "content": [{"text": text}]}],
        "toolConfig": {"tools": [{"toolSpec": spec}], "toolChoice": {"tool": {"name": TOOL}}},
    }


def _converse(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """csvchat's fake asked first, as on the stack."""
    return converse([TEXT_TO_SQL, MODEL], request)


def _script(brief: dict[str, Any]) -> dict[str, Any]:
    status, parsed = _converse(_request(brief))
    assert (status, parsed["stopReason"]) == (200, "tool_use"), parsed
    used = parsed["output"]["message"]["content"][0]["toolUse"]
    assert used["name"] == TOOL
    return dict(used["input"])


def test_trends_profile_declares_the_script_writer() -> None:
    assert MODEL in TRENDS.models


def test_the_script_is_a_tool_use_with_usage_and_the_same_for_the_same_brief() -> None:
    status, parsed = _converse(_request(BRIEF))

    assert status == 200
    script = Script.model_validate(parsed["output"]["message"]["content"][0]["toolUse"]["input"])
    usage = parsed["usage"]
    assert usage["inputTokens"] > 0 and usage["outputTokens"] > 0
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert _script(BRIEF) == script.model_dump()


@pytest.mark.parametrize(("target", "scene"), [(45, 9), (45, 5), (5, 9), (9, 9), (120, 5), (30, 7)])
def test_scenes_cover_the_target_at_scene_seconds_each_one_to_six(target: int, scene: int) -> None:
    script = _script({**BRIEF, "target_seconds": target, "scene_seconds": scene})

    scenes = script["scenes"]
    assert len(scenes) == min(MAX_SCENES, max(1, math.ceil(target / scene)))
    assert {s["seconds"] for s in scenes} == {scene}
    assert all(BRIEF["topic"] in s["prompt"] for s in scenes)


@pytest.mark.parametrize("target", [10, 45, 90])
def test_the_narration_speaks_for_about_the_target_and_tells_the_brief(target: int) -> None:
    script = _script({**BRIEF, "target_seconds": target})

    narration = script["narration"]
    assert abs(len(narration.split()) / WORDS_PER_SECOND - target) <= 1
    assert BRIEF["topic"] in narration
    if target >= 45:
        assert all(t in narration for t in BRIEF["trend_titles"])
        assert all(k in narration for k in BRIEF["keywords"])


def test_the_title_is_short_and_the_metadata_comes_from_the_brief() -> None:
    long_title = "a very long trending title " * 10
    script = _script({**BRIEF, "trend_titles": [long_title]})

    assert 0 < len(script["title"]) <= MAX_TITLE
    assert BRIEF["topic"] in script["tags"]
    assert set(BRIEF["keywords"]) <= set(script["tags"]) & set(script["seo_keywords"])
    assert long_title in script["description"]


def test_a_brief_that_is_not_json_is_refused_not_guessed() -> None:
    status, parsed = _converse(_request("write me something about ai agents"))

    assert status == 400
    assert parsed["Error"]["Code"] == "ValidationException"
    assert TOOL in parsed["Error"]["Message"]


@pytest.mark.parametrize(
    ("marker", "status", "code"),
    [
        ("[local:model-fail]", 400, "ValidationException"),
        ("[local:throttle]", 429, "ThrottlingException"),
    ],
)
def test_a_marker_in_the_brief_rehearses_the_pipelines_failure_paths(
    marker: str, status: int, code: str
) -> None:
    answered, parsed = _converse(_request({**BRIEF, "topic": f"ai agents {marker}"}))

    assert (answered, parsed["Error"]["Code"]) == (status, code)
