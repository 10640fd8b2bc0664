"""Turn what MentionMind returns into mentions fit to store, or say why one is not.

Text is sanitised: HTML removed by nh3 (the Ammonia sanitiser; script and style content go
with their tags), entities decoded, control characters dropped, whitespace collapsed. Dates
become UTC ISO 8601 with a ``Z``; a date without a zone is taken as UTC. A mention that is
invalid (no id, no usable date, nothing left of its text) is never stored half-cleaned.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass
from typing import Any

import nh3
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.timestamps import utc_iso


def _controls_to_spaces(text: str) -> str:
    return "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)


def clean_text(value: str) -> str:
    """Plain, single-spaced text from a field that may hold HTML and control characters.

    Control characters become spaces before sanitising (nh3 would delete some, gluing words
    together) and again after decoding entities (``&#7;`` is one).
    """
    text = html.unescape(nh3.clean(_controls_to_spaces(value), tags=set()))
    return " ".join(_controls_to_spaces(text).split())


class Mention(BaseModel):
    """A mention as the mentions table stores it (PK ``mention_id``, SK ``timestamp``)."""

    model_config = ConfigDict(frozen=True)

    mention_id: str = Field(min_length=1, max_length=256)
    timestamp: str
    source: str = Field(min_length=1, max_length=128)
    text: str = Field(min_length=1)
    url: str = ""
    author: str = ""
    status: str = ""
    sentiment: str | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _utc(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("missing date")
        return utc_iso(value)

    @field_validator("text", "author", "source", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> str:
        return clean_text(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class InvalidMention:
    mention_id: str | None
    reason: str


def to_mention(raw: dict[str, Any]) -> Mention | InvalidMention:
    """One API mention (``id``, ``text``, ``source``, ``url``, ``author``, ``date``, ...)."""
    try:
        return Mention.model_validate(
            {
                "mention_id": str(raw.get("id") or ""),
                "timestamp": raw.get("date"),
                "source": raw.get("source") or "",
                "text": raw.get("text") or "",
                "url": str(raw.get("url") or ""),
                "author": raw.get("author") or "",
                "status": str(raw.get("status") or ""),
                "sentiment": raw.get("sentiment"),
            }
        )
    except ValidationError as err:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'mention'}: {e['msg']}" for e in err.errors()
        )
        return InvalidMention(str(raw.get("id")) if raw.get("id") else None, reasons)
