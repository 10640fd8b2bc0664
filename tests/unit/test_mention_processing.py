"""Validating and sanitising mentions (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.mentions.processing import InvalidMention, Mention, clean_text, to_mention


def raw(**changes: Any) -> dict[str, Any]:
    return {
        "id": "m1",
        "text": "Great <b>product</b>!",
        "source": "twitter",
        "url": "https://x/1",
        "author": "ann",
        "date": "2026-11-20T11:00:00+01:00",
        "status": "new",
        "sentiment": "positive",
    } | changes


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("<p>Hi <b>there</b> &amp; you</p>", "Hi there & you"),
        ("before<script>alert(1)</script>after", "beforeafter"),
        ("tab\tnew\nline\x00null\x1bescape", "tab new line null escape"),
        ("  lots   of\u00a0space  ", "lots of space"),
        ("bell&#7;entity", "bell entity"),
        ("caf\u00e9 \u2014 \U0001f600", "caf\u00e9 \u2014 \U0001f600"),
    ],
    ids=["html", "script", "control characters", "whitespace", "entity", "unicode kept"],
)
def test_text_is_plain_and_single_spaced(text: str, clean: str) -> None:
    assert clean_text(text) == clean


def test_a_valid_mention_is_cleaned_and_its_date_made_utc() -> None:
    mention = to_mention(raw())

    assert isinstance(mention, Mention)
    assert mention.mention_id == "m1"
    assert mention.timestamp == "2026-11-20T10:00:00Z"
    assert mention.text == "Great product!"
    assert mention.sentiment == "positive"


def test_a_date_without_a_zone_is_taken_as_utc() -> None:
    mention = to_mention(raw(date="2026-11-20T10:00:00"))
    assert isinstance(mention, Mention)
    assert mention.timestamp == "2026-11-20T10:00:00Z"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": None}, "timestamp"),
        ({"date": "yesterday"}, "timestamp"),
        ({"date": "2026-13-45T10:00:00Z"}, "timestamp"),
        ({"id": None}, "mention_id"),
        ({"text": "<script>only()</script>"}, "text"),
        ({"source": ""}, "source"),
    ],
    ids=["no date", "not a date", "impossible date", "no id", "no text left", "no source"],
)
def test_an_invalid_mention_says_which_field_and_why(changes: dict[str, Any], field: str) -> None:
    result = to_mention(raw(**changes))

    assert isinstance(result, InvalidMention)
    assert result.reason.startswith(field)
    assert result.mention_id == (None if field == "mention_id" else "m1")


def test_a_date_with_no_utc_equivalent_is_an_invalid_mention_not_a_crash() -> None:
    result = to_mention(raw(date="0001-01-01T00:00:00+01:00"))

    assert isinstance(result, InvalidMention)
    assert result.reason.startswith("timestamp")
    assert "out of range" in result.reason
