"""The opaque ``next`` token of every paged list API: a small JSON object (where DynamoDB
stopped, plus whatever the query must keep between pages) as unpadded URL-safe base64, so
it travels in a query string unescaped.

Opaque is not secret: a client can read and forge a token. Each API therefore checks what it
decodes (``start_key``, and the query the token was issued for) and never lets a token reach
beyond the caller's own items.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from typing import Any

from shared.errors import InvalidQueryError, ParameterProblem

PARAMETER = "next"
NOT_ISSUED = "not a token this API issued"


def encode_page_token(body: Mapping[str, Any]) -> str:
    """``body`` (JSON-serialisable, keys sorted so a token is stable) as a token."""
    return base64.urlsafe_b64encode(json.dumps(body, sort_keys=True).encode()).decode().rstrip("=")


def invalid_token(reason: str = NOT_ISSUED, parameter: str = PARAMETER) -> InvalidQueryError:
    """The refusal of a token, naming its parameter (400 ``INVALID_QUERY``)."""
    return InvalidQueryError([ParameterProblem(parameter, reason)])


def decode_page_token(
    token: str, reason: str = NOT_ISSUED, parameter: str = PARAMETER
) -> dict[str, Any]:
    """The JSON object ``token`` holds; its fields are still the caller's to check.

    Raises:
        InvalidQueryError: ``token`` is not base64 of a JSON object; the problem names
            ``parameter`` with ``reason`` (each API's contract words it).
    """
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise invalid_token(reason, parameter) from None
    if not isinstance(body, dict):
        raise invalid_token(reason, parameter)
    return body


def exclusive_start_key(
    body: Mapping[str, Any], name: str = "k", fields: Collection[str] | None = None
) -> dict[str, str] | None:
    """The DynamoDB key ``body[name]`` if it is a non-empty object of strings (with exactly
    ``fields`` when given), else None: a forged key never reaches ``ExclusiveStartKey``."""
    key = body.get(name)
    if not isinstance(key, dict) or not key or not all(isinstance(v, str) for v in key.values()):
        return None
    if fields is not None and set(key) != set(fields):
        return None
    return key


def key_body(last_key: Mapping[str, Any]) -> dict[str, str]:
    """A LastEvaluatedKey as strings (every key this repository pages on is of strings), the
    form ``start_key`` accepts back."""
    return {name: str(value) for name, value in last_key.items()}
