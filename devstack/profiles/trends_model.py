"""trends' script writer on the local stack, one of the model fakes the local Bedrock asks
(``devstack/services/bedrock/converse.py``). It recognises trends' requests by the tool they
declare, ``write_video_script``, and reads the brief from the last user message, a JSON
object (:class:`ScriptBrief`). It answers with a ``toolUse`` of that tool whose input is a script
(:class:`Script`), the same for the same brief, so a pipeline's runs can be compared:

- scenes enough to cover ``target_seconds`` at ``scene_seconds`` each (1 to 6);
- narration of about ``target_seconds`` spoken at 2.5 words a second, made of sentences
  about the topic, the trending titles and the keywords.

A brief that is not such a JSON object is refused with ``ValidationException`` (no guess),
so a pipeline that sends a wrong one finds out locally. The local Bedrock's markers
(``[local:fail]``, ``[local:throttle]``) rehearse a failing or throttled model.
"""

from __future__ import annotations

import math
from itertools import cycle, islice
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from devstack.services.bedrock.converse import ModelError, response, texts, tool_names, tool_use

TOOL = "write_video_script"
WORDS_PER_SECOND = 2.5
MAX_SCENES = 6
MAX_TITLE = 100


class ScriptBrief(BaseModel):
    """What trends' pipeline asks the script writer for."""

    topic: str = Field(min_length=1)
    keywords: list[str]
    trend_titles: list[str]
    target_seconds: int = Field(gt=0)
    scene_seconds: int = Field(gt=0)
    voice_style: str


class Scene(BaseModel):
    prompt: str
    seconds: int


class Script(BaseModel):
    """The tool's input: what the pipeline renders, narrates and uploads."""

    title: str = Field(max_length=MAX_TITLE)
    description: str
    tags: list[str]
    seo_keywords: list[str]
    narration: str
    scenes: list[Scene]


def _unique(words: list[str]) -> list[str]:
    """``words`` without blanks or repeats (case aside), in order."""
    seen: dict[str, str] = {}
    for word in (w.strip() for w in words):
        if word and word.lower() not in seen:
            seen[word.lower()] = word
    return list(seen.values())


def _narration(brief: ScriptBrief) -> str:
    """About ``target_seconds`` of speech: an opening, then sentences on the titles and the
    keywords in turn, cut to the word count and closed with a full stop."""
    wanted = max(1, round(brief.target_seconds * WORDS_PER_SECOND))
    body = [f"People are watching {title}." for title in brief.trend_titles] + [
        f"Everyone is talking about {keyword}." for keyword in brief.keywords
    ]
    sentences = [f"Here is what is trending in {brief.topic} right now."]
    sentences += body or [f"Stay tuned for more on {brief.topic}."]
    words: list[str] = []
    for sentence in cycle(sentences):
        words.extend(sentence.split())
        if len(words) >= wanted:
            break
    return " ".join(words[:wanted]).rstrip(".,;:!?") + "."


def write_script(brief: ScriptBrief) -> Script:
    """The script for ``brief``; the same brief always gives the same script."""
    count = min(MAX_SCENES, max(1, math.ceil(brief.target_seconds / brief.scene_seconds)))
    found = _unique(brief.trend_titles + brief.keywords)
    subjects = found or [brief.topic]
    scenes = [
        Scene(
            prompt=f"Cinematic footage about {brief.topic}: {subject}", seconds=brief.scene_seconds
        )
        for subject in islice(cycle(subjects), count)
    ]
    headline = f"{brief.topic.title()}: {found[0]}" if found else brief.topic.title()
    titles = "; ".join(brief.trend_titles[:3]) or "the latest"
    return Script(
        title=headline[:MAX_TITLE],
        description=f"What is trending in {brief.topic} today: {titles}.",
        tags=_unique([brief.topic, *brief.keywords]),
        seo_keywords=_unique([*brief.keywords, brief.topic, *brief.topic.split()]),
        narration=_narration(brief),
        scenes=scenes,
    )


class ScriptWriter:
    """The model fake trends' profile declares."""

    name = "trends' script writer"

    def answers(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The script for a request declaring ``write_video_script``, else None.

        Raises:
            ModelError: the request declares the tool but its brief is not a ScriptBrief.
        """
        if TOOL not in tool_names(request):
            return None
        system, brief_text = texts(request)
        try:
            brief = ScriptBrief.model_validate_json(brief_text)
        except ValidationError as err:
            raise ModelError(f"{TOOL}: the last user message is not its brief: {err}") from None
        script = write_script(brief)
        output = " ".join([script.title, script.description, script.narration])
        content = tool_use(TOOL, script.model_dump())
        return response(content, "tool_use", f"{system}\n{brief_text}", output)


MODEL = ScriptWriter()
