"""``POST /twilio/status``: record a message's delivery status on its conversation.

Twilio cannot send our API key, so the request proves itself with ``X-Twilio-Signature``,
computed with the auth token of the account that sent the message over the exact callback
URL and the posted form. The processor stored that URL on the record, so nothing here has to
rebuild API Gateway's public address. Updates are conditional on a status rank, so a
repeated callback changes nothing and a late ``sent`` never overwrites ``delivered``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from chalicelib.comms.processor.conversations import ConversationKey, ConversationRepository
from chalicelib.comms.processor.credentials import Credentials
from chalicelib.comms.processor.exceptions import PermanentFailureError
from shared.dynamo import conditional_write
from shared.errors import FleetError, TransientError

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


class CallbackRefusedError(FleetError):
    """The callback is not from Twilio for one of our messages (403), or malformed (400)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class StatusUpdate:
    key: ConversationKey
    message_sid: str
    status: str
    applied: bool


def record_status(
    raw_body: bytes | str | None,
    query: dict[str, str],
    signature: str | None,
    conversations: ConversationRepository,
    credentials: Credentials,
    now: str,
) -> StatusUpdate:
    """Verify and apply one callback; ``applied`` is False for a stale or repeated one.

    Raises:
        CallbackRefusedError: 400 missing fields; 403 unknown conversation or bad signature.
        TransientError: DynamoDB or Secrets Manager failed (Twilio retries on a 5xx).
    """
    body = raw_body.decode() if isinstance(raw_body, bytes) else (raw_body or "")
    form = dict(parse_qsl(body, keep_blank_values=True))
    try:
        key = ConversationKey(query["primary_channel"], query["conversation_id"])
        sid, status = form["MessageSid"], form["MessageStatus"]
    except KeyError as err:
        raise CallbackRefusedError(400, f"missing {err.args[0]}") from err
    if status not in STATUS_RANK:
        raise CallbackRefusedError(400, f"unknown MessageStatus {status!r}")
    record = conversations.find(key)
    url = (record or {}).get("status_callback_url")
    if record is None or not url or not record.get("credentials_id"):
        raise CallbackRefusedError(403, "no such conversation")
    try:
        token = credentials.twilio(record["credentials_id"]).auth_token
    except PermanentFailureError as err:
        raise TransientError(f"the conversation's credentials are unusable: {err}") from err
    if not signature or not RequestValidator(token).validate(url, form, signature):
        raise CallbackRefusedError(403, "X-Twilio-Signature does not match")
    applied = _apply(conversations, key, sid, status, form, now)
    return StatusUpdate(key, sid, status, applied)


def _apply(
    conversations: ConversationRepository,
    key: ConversationKey,
    sid: str,
    status: str,
    form: dict[str, str],
    now: str,
) -> bool:
    values: dict[str, Any] = {
        ":status": status,
        ":rank": STATUS_RANK[status],
        ":sid": sid,
        ":now": now,
        ":error": form.get("ErrorCode") or None,
    }
    return conditional_write(
        lambda: conversations.table.update_item(
            Key=key.as_key(),
            UpdateExpression="SET delivery_status = :status, delivery_status_rank = :rank, "
            "delivery_error_code = :error, delivery_updated_at = :now",
            ConditionExpression="message_sid = :sid AND (attribute_not_exists("
            "delivery_status_rank) OR delivery_status_rank < :rank)",
            ExpressionAttributeValues=values,
        ),
        "recording the delivery status",
    )
