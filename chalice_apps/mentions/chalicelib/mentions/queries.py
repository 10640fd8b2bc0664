"""``GET /mentions?source=&since=&until=&limit=&next=``: a source's mentions in a time range,
newest first, one page at a time.

The ``next`` token is opaque to clients: URL-safe base64 of where DynamoDB stopped plus the
range the first page resolved (``until`` defaults to "now", which must not move between
pages). A token is accepted only with the same source and range it was issued for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.mentions.repository import MentionRepository
from shared.errors import InvalidQueryError, ParameterProblem
from shared.page_token import (
    decode_page_token,
    encode_page_token,
    exclusive_start_key,
    invalid_token,
)
from shared.timestamps import query_date, utc_iso

EARLIEST = "1970-01-01T00:00:00Z"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_KEY_FIELDS = {"mention_id", "timestamp", "source"}


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, max_length=128)
    since: str | None = None
    until: str | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    next: str | None = Field(default=None, min_length=1)

    @field_validator("since", "until")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        return query_date(value)


@dataclass(frozen=True)
class MentionQuery:
    source: str
    since: str
    until: str
    limit: int
    start_key: dict[str, str] | None


_REASONS = {"extra_forbidden": "unknown parameter", "missing": "required"}


def parse_query(params: dict[str, str], now: datetime) -> MentionQuery:
    """Validate the query string; ``until`` defaults to ``now``, ``since`` to the epoch.

    Raises:
        InvalidQueryError: every bad parameter, each with its reason.
    """
    try:
        raw = _Parameters.model_validate(params)
    except ValidationError as err:
        raise InvalidQueryError(
            [
                ParameterProblem(
                    ".".join(str(p) for p in e["loc"]) or "query",
                    _REASONS.get(e["type"], e["msg"]),
                )
                for e in err.errors(include_url=False)
            ]
        ) from None
    if raw.next is not None:
        return _continued(raw)
    since = raw.since or EARLIEST
    until = raw.until or utc_iso(now.astimezone(UTC).isoformat())
    if since > until:
        raise InvalidQueryError([ParameterProblem("since", f"is after until ({until})")])
    return MentionQuery(raw.source, since, until, raw.limit, None)


def _continued(raw: _Parameters) -> MentionQuery:
    """The query a ``next`` token continues; its source and range must be the token's."""
    body = decode_page_token(raw.next or "")
    key = exclusive_start_key(body, fields=_KEY_FIELDS)
    since, until = body.get("f"), body.get("u")
    if key is None or not isinstance(since, str) or not isinstance(until, str):
        raise invalid_token()
    if (
        key["source"] != raw.source
        or (raw.since or since) != since
        or (raw.until or until) != until
    ):
        raise invalid_token("not a token of this query (source, since or until differ)")
    return MentionQuery(raw.source, since, until, raw.limit, key)


def encode_token(key: dict[str, Any], query: MentionQuery) -> str:
    body = {"k": {f: str(key[f]) for f in _KEY_FIELDS}, "f": query.since, "u": query.until}
    return encode_page_token(body)


def mentions_page(repository: MentionRepository, query: MentionQuery) -> dict[str, Any]:
    """``{"mentions": [...], "next": token or null}``."""
    mentions, last_key = repository.by_source(
        query.source, query.since, query.until, query.limit, query.start_key
    )
    return {
        "mentions": [m.model_dump() for m in mentions],
        "next": encode_token(last_key, query) if last_key else None,
    }
