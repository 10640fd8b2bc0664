"""The read API (``../shared/specs/patches.md``): parameters checked, pages read, items shown.

- ``GET /patches``: exactly one of ``state``, ``submitter``, ``series`` picks the index;
  ``since``/``until`` bound the patch date; newest first.
- ``GET /patches/{id}``: the patch and its discussion summary.
- ``GET /patches/{id}/discussions``: its thread's messages in thread (depth-first) order.

``next`` tokens are opaque to clients: URL-safe base64 of where DynamoDB stopped and of the
query it belongs to (``until`` defaults to "now", which must not move between pages); a token
is accepted only with the query it was issued for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.patches.discussion_repository import DiscussionRepository
from chalicelib.patches.exceptions import ItemNotFoundError, PatchNotFoundError
from chalicelib.patches.patch_repository import PatchRepository
from chalicelib.patches.records import public_patch
from shared.errors import InvalidQueryError, ParameterProblem
from shared.page_token import (
    decode_page_token,
    encode_page_token,
    exclusive_start_key,
    invalid_token,
    key_body,
)
from shared.timestamps import query_date, utc_iso

EARLIEST = "1970-01-01T00:00:00Z"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
PATCH_ID = r"^[0-9]{1,20}$"
Selector = Literal["state", "submitter", "series"]
SELECTORS: tuple[Selector, ...] = ("state", "submitter", "series")
_REASONS = {"extra_forbidden": "unknown parameter", "missing": "required"}


def _problems(err: ValidationError) -> InvalidQueryError:
    return InvalidQueryError(
        [
            ParameterProblem(
                ".".join(str(p) for p in e["loc"]) or "query", _REASONS.get(e["type"], e["msg"])
            )
            for e in err.errors(include_url=False)
        ]
    )


class _ListParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    submitter: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)
    series: str | None = Field(default=None, pattern=PATCH_ID)
    since: str | None = None
    until: str | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    next: str | None = Field(default=None, min_length=1)

    @field_validator("since", "until")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        return query_date(value)


@dataclass(frozen=True)
class PatchQuery:
    selector: Selector
    value: str
    since: str
    until: str
    limit: int
    start_key: dict[str, str] | None


def parse_list_query(params: dict[str, str], now: datetime) -> PatchQuery:
    """Validate ``GET /patches``' query string.

    Raises:
        InvalidQueryError: every bad parameter, each with its reason.
    """
    try:
        raw = _ListParameters.model_validate(params)
    except ValidationError as err:
        raise _problems(err) from None
    given = [s for s in SELECTORS if getattr(raw, s) is not None]
    if len(given) != 1:
        reason = "give exactly one of state, submitter, series"
        raise InvalidQueryError([ParameterProblem(s, reason) for s in (given or ["state"])])
    selector = given[0]
    value = str(getattr(raw, selector))
    since = raw.since or EARLIEST
    until = raw.until or utc_iso(now.astimezone(UTC).isoformat())
    start_key = None
    if raw.next is not None:
        token = decode_page_token(raw.next)
        start_key = exclusive_start_key(token)
        if start_key is None:
            raise invalid_token()
        if (token.get("s"), token.get("v")) != (selector, value) or (
            raw.since or token.get("f"),
            raw.until or token.get("u"),
        ) != (token.get("f"), token.get("u")):
            raise invalid_token("not a token of this query (selector or range differ)")
        since, until = str(token["f"]), str(token["u"])
    if since > until:
        raise InvalidQueryError([ParameterProblem("since", f"is after until ({until})")])
    return PatchQuery(selector, value, since, until, raw.limit, start_key)


def patches_page(repository: PatchRepository, query: PatchQuery) -> dict[str, Any]:
    """``{"items": [patch...], "next": token or null}``."""
    read = {
        "state": repository.by_state,
        "submitter": repository.by_submitter,
        "series": repository.by_series,
    }[query.selector]
    page = read(query.value, query.since, query.until, query.limit, query.start_key)
    token = None
    if page.last_key:
        token = encode_page_token(
            {
                "k": key_body(page.last_key),
                "s": query.selector,
                "v": query.value,
                "f": query.since,
                "u": query.until,
            }
        )
    return {"items": [public_patch(item) for item in page.items], "next": token}


class _PatchId(BaseModel):
    id: str = Field(pattern=PATCH_ID)


def checked_patch_id(patch_id: str) -> str:
    """Raises InvalidQueryError for a path id that cannot be a Patchwork patch id."""
    try:
        return _PatchId.model_validate({"id": patch_id}).id
    except ValidationError:
        raise InvalidQueryError([ParameterProblem("id", "not a patch id (digits)")]) from None


def _stored_patch(repository: PatchRepository, patch_id: str) -> dict[str, Any]:
    try:
        return repository.get(checked_patch_id(patch_id))
    except ItemNotFoundError:
        raise PatchNotFoundError(patch_id) from None


def patch_detail(repository: PatchRepository, patch_id: str) -> dict[str, Any]:
    """The patch and ``discussion``: its thread, message count and last activity (null
    and 0 until the thread worker has stored the thread).

    Raises:
        InvalidQueryError: ``patch_id`` is not a patch id.
        PatchNotFoundError: no such patch is held.
    """
    item = _stored_patch(repository, patch_id)
    summary = item.get("discussion") or {}
    return {
        **public_patch(item),
        "discussion": {
            "thread_id": summary.get("thread_id"),
            "messages": int(summary.get("messages", 0)),
            "last_activity": summary.get("last_activity"),
        },
    }


class _PageParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    next: str | None = Field(default=None, min_length=1)


def _message(item: dict[str, Any]) -> dict[str, Any]:
    author = item.get("author") or {}
    return {
        "message_id": item["id"],
        "in_reply_to": item.get("in_reply_to"),
        "author": {"name": author.get("name", ""), "email": author.get("email", "")},
        "date": item["timestamp"],
        "subject": item.get("subject", ""),
        "excerpt": item.get("excerpt", ""),
        "sentiment": float(item.get("sentiment", 0)),
        "depth": int(item.get("depth", 0)),
        "patch_id": item.get("patch_id"),
    }


def discussions_page(
    patches: PatchRepository,
    discussions: DiscussionRepository,
    patch_id: str,
    params: dict[str, str],
) -> dict[str, Any]:
    """``{"thread_id", "items": [message...], "next"}``: one page of the patch's thread in
    thread order (no items until its thread is stored).

    Raises:
        InvalidQueryError: a bad parameter (or ``patch_id``).
        PatchNotFoundError: no such patch is held.
    """
    try:
        raw = _PageParameters.model_validate(params)
    except ValidationError as err:
        raise _problems(err) from None
    item = _stored_patch(patches, patch_id)
    thread_id = (item.get("discussion") or {}).get("thread_id")
    start_key = None
    if raw.next is not None:
        reason = "not a token of this thread"
        token = decode_page_token(raw.next, reason)
        start_key = exclusive_start_key(token)
        if start_key is None or token.get("t") != thread_id:
            raise invalid_token(reason)
    if thread_id is None:
        return {"thread_id": None, "items": [], "next": None}
    page = discussions.thread_page(str(thread_id), raw.limit, start_key)
    following = None
    if page.last_key:
        following = encode_page_token({"k": key_body(page.last_key), "t": thread_id})
    return {"thread_id": thread_id, "items": [_message(i) for i in page.items], "next": following}
