"""A request body read as one JSON object, safely, before any model sees it.

Python's ``json`` (and every step after it: pydantic, the serialiser, boto3) recurses once
per level of nesting, so a body of a few kilobytes nested a thousand deep would end in a
``RecursionError``. The nesting is therefore measured first, by a scan that never recurses,
and a body nested deeper than ``MAX_NESTING`` is refused before it is parsed. 32 is also
DynamoDB's limit for nested attributes, so anything accepted here can still be stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shared.errors import MalformedJsonError, NestingTooDeepError

MAX_NESTING = 32

# A JSON string (escapes included) or one bracket. Strings are matched whole so that a
# bracket inside one is not counted; only the brackets outside strings are looked at.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _check_nesting(text: str, limit: int) -> None:
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                raise NestingTooDeepError(
                    f"the body nests objects and arrays more than {limit} levels deep"
                )
        elif char in "]}":
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json_object(raw: bytes | str | None, max_nesting: int = MAX_NESTING) -> dict[str, Any]:
    """The body as a dict; numbers with a fraction are floats, as ``json`` reads them.

    Raises:
        MalformedJsonError: the body is empty, not UTF-8, not JSON (``NaN`` and ``Infinity``
            are not), or not a JSON object.
        NestingTooDeepError: objects and arrays nest deeper than ``max_nesting`` (the body
            itself is the first level).
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else (raw or "")
    except UnicodeDecodeError as err:
        raise MalformedJsonError(
            f"the body is not UTF-8: {err.reason} at byte {err.start}"
        ) from err
    _check_nesting(text, max_nesting)
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as err:
        raise MalformedJsonError(f"the body is not valid JSON: {err}") from err
    if not isinstance(body, dict):
        raise MalformedJsonError("the body must be a JSON object")
    return body
