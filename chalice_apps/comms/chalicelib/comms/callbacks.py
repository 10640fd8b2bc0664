"""``POST /twilio/status``: record a message's delivery status on its conversation.

Twilio cannot send our API key, so the request proves itself with ``X-Twilio-Signature``,
computed with the auth token of the account that sent the message over the exact callback
URL and the posted form. The processor stored that URL on the record, so nothing here has to
rebuild API Gateway's public address. Updates are conditional on a status rank
(``ConversationRepository.record_delivery``), so a repeated callback changes nothing and a
late ``sent`` never overwrites ``delivered``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from chalicelib.comms.conversations import (
    MAX_ADDRESS_LENGTH,
    ConversationKey,
    ConversationRepository,
)
from chalicelib.comms.credentials import Credentials
from chalicelib.comms.exceptions import (
    CallbackNotVerifiedError,
    InvalidCallbackError,
    PermanentFailureError,
)
from shared.errors import FieldProblem, InvalidQueryError, ParameterProblem, TransientError
from shared.observability import logger
from shared.query import checked_parameters

log = logger("comms-router")

# Twilio's message statuses in the order they can happen; the final ones share a rank.
STATUS_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,
}
# The processor's callback URL carries the conversation's key (messaging.status_callback_url).
KEY_PARAMETERS = ("primary_channel", "conversation_id")


@dataclass(frozen=True)
class StatusUpdate:
    key: ConversationKey
    message_sid: str
    status: str
    applied: bool

    def as_body(self) -> dict[str, str]:
        return {"status": "recorded" if self.applied else "unchanged"}


def _key(query: Mapping[str, str]) -> ConversationKey:
    """The conversation the callback is for, refused when it cannot be one of ours (a key
    DynamoDB would refuse would otherwise be a 5xx, which Twilio retries)."""
    params = checked_parameters(query, required=KEY_PARAMETERS)
    key = ConversationKey(params["primary_channel"], params["conversation_id"])
    problems = []
    if len(key.primary_channel) > MAX_ADDRESS_LENGTH:
        problems.append(
            ParameterProblem("primary_channel", f"longer than {MAX_ADDRESS_LENGTH} characters")
        )
    try:
        uuid.UUID(key.conversation_id)
    except ValueError:
        problems.append(ParameterProblem("conversation_id", "not a conversation id (a UUID)"))
    if problems:
        raise InvalidQueryError(problems)
    return key


def _form(raw_body: bytes | str | None) -> dict[str, str]:
    try:
        body = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else (raw_body or "")
    except UnicodeDecodeError as err:
        raise InvalidCallbackError("the form is not UTF-8") from err
    form = dict(parse_qsl(body, keep_blank_values=True))
    missing = [
        FieldProblem(name, "required")
        for name in ("MessageSid", "MessageStatus")
        if not form.get(name)
    ]
    if missing:
        raise InvalidCallbackError("the form lacks a field Twilio always sends", missing)
    if form["MessageStatus"] not in STATUS_RANK:
        raise InvalidCallbackError(
            "the form names a status Twilio does not have",
            [FieldProblem("MessageStatus", f"unknown status {form['MessageStatus']!r}")],
        )
    return form


def record_status(
    raw_body: bytes | str | None,
    query: Mapping[str, str],
    signature: str | None,
    conversations: ConversationRepository,
    credentials: Credentials,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> StatusUpdate:
    """Verify and apply one callback; ``applied`` is False for a stale or repeated one.

    The request is checked before anything is read: a callback without a signature is
    refused without a lookup, and an unknown conversation gets the same answer as a bad
    signature.

    Raises:
        InvalidQueryError: the URL's key parameters are unknown, missing or malformed (400).
        InvalidCallbackError: the form is not UTF-8 or lacks a field (400).
        CallbackNotVerifiedError: no signature, a wrong one, or no such conversation (403).
        TransientError: DynamoDB or Secrets Manager failed (503: Twilio retries).
    """
    key = _key(query)
    form = _form(raw_body)
    if not signature:
        raise CallbackNotVerifiedError()
    record = conversations.find(key) or {}
    url, credentials_id = record.get("status_callback_url"), record.get("credentials_id")
    if not url or not credentials_id:
        raise CallbackNotVerifiedError()
    try:
        token = credentials.twilio(credentials_id).auth_token
    except PermanentFailureError as err:
        raise TransientError(f"the conversation's credentials are unusable: {err}") from err
    if not RequestValidator(token).validate(url, form, signature):
        raise CallbackNotVerifiedError()
    sid, status = form["MessageSid"], form["MessageStatus"]
    applied = conversations.record_delivery(
        key,
        sid,
        status,
        STATUS_RANK[status],
        {
            "delivery_error_code": form.get("ErrorCode") or None,
            "delivery_updated_at": now().isoformat(),
        },
    )
    update = StatusUpdate(key, sid, status, applied)
    log.info(
        "delivery status",
        extra={
            "conversation_id": key.conversation_id,
            "message_sid": sid,
            "delivery_status": status,
            "applied": update.applied,
        },
    )
    return update
