"""A video's script from Bedrock's Converse API (seed 002 §4.2): scenes (each a prompt for the
video model), narration, title, description, tags and SEO keywords.

The model is asked for a tool call (``write_video_script``) whose input schema is the
script's: structured output, validated here with pydantic, so a model that answers prose or
a malformed script is an error with the reason, never a half-made video. The script goes to
S3 (``work/<video>/script.json``): the state machine passes references, not documents.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from chalicelib.trends.exceptions import TrendsError
from chalicelib.trends.pricing import PRICES
from chalicelib.trends.service_errors import mapped_call
from shared.errors import TransientError

TOOL = "write_video_script"
# Bedrock's answers to a caller that should wait and try again.
_TRANSIENT = {
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelNotReadyException",
    "ModelTimeoutException",
}


class ScriptRefusedError(TrendsError):
    """The model's answer is not a usable script (the reason says why): not retried."""


class ModelUnavailableError(TrendsError, TransientError):
    """Bedrock throttled or failed: the state machine retries with backoff."""


class Scene(BaseModel):
    prompt: str = Field(min_length=1, max_length=5000)
    seconds: int = Field(ge=1, le=60)


class VideoScript(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=30)
    seo_keywords: list[str] = Field(default_factory=list, max_length=30)
    narration: str = Field(min_length=1, max_length=100_000)
    scenes: list[Scene] = Field(min_length=1, max_length=60)


TOOL_SPEC: dict[str, Any] = {
    "toolSpec": {
        "name": TOOL,
        "description": "Write the script of one narrated YouTube video about a trend.",
        "inputSchema": {"json": VideoScript.model_json_schema()},
    }
}


def instructions(prompt: str, style: str) -> str:
    """The system prompt: the topic's prompt (people edit it) and the rules of the format."""
    return (
        f"You write scripts for narrated {style} YouTube videos. {prompt}\n"
        "Answer with the write_video_script tool only. The narration is what a voice reads, "
        "without stage directions; it lasts about target_seconds at 150 words a minute. "
        "Each scene is a prompt for a text-to-video model: one concrete shot, no text on "
        "screen, no real people's names."
    )


def request(video: dict[str, Any], scene_seconds: int) -> dict[str, Any]:
    """What the model is told about the video (the user message, as JSON)."""
    return {
        "topic": video["topic"],
        "keywords": [video["keyword"], *video["keywords"]],
        "trend_titles": video["trend_titles"],
        "target_seconds": video["target_seconds"],
        "scene_seconds": scene_seconds,
        "voice_style": video["style"],
    }


def write_script(
    bedrock: Any, model_id: str, video: dict[str, Any], scene_seconds: int
) -> tuple[VideoScript, float]:
    """The script and what it cost (tokens at ``PRICES``).

    Raises:
        ModelUnavailableError: throttled or a Bedrock fault (retry).
        ScriptRefusedError: a refusal of the request, or an answer that is not a script.
    """
    answer = mapped_call(
        "Bedrock Converse",
        lambda: bedrock.converse(
            modelId=model_id,
            system=[{"text": instructions(video["prompt"], video["style"])}],
            messages=[
                {"role": "user", "content": [{"text": json.dumps(request(video, scene_seconds))}]}
            ],
            toolConfig={"tools": [TOOL_SPEC], "toolChoice": {"tool": {"name": TOOL}}},
            inferenceConfig={"maxTokens": 4096, "temperature": 0.7},
        ),
        transient=_TRANSIENT,
        refused=ScriptRefusedError,
        unavailable=ModelUnavailableError,
    )
    tool_input = next(
        (
            block["toolUse"]["input"]
            for block in answer["output"]["message"]["content"]
            if "toolUse" in block and block["toolUse"].get("name") == TOOL
        ),
        None,
    )
    if tool_input is None:
        raise ScriptRefusedError(f"the model answered without the {TOOL} tool")
    try:
        script = VideoScript.model_validate(tool_input)
    except ValidationError as err:
        raise ScriptRefusedError(f"the model's script is malformed: {err}") from err
    usage = answer.get("usage") or {}
    cost = (
        usage.get("inputTokens", 0) / 1000 * PRICES["bedrock_text_input_1k_tokens"]
        + usage.get("outputTokens", 0) / 1000 * PRICES["bedrock_text_output_1k_tokens"]
    )
    return script, cost
