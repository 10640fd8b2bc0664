"""``POST /sendgrid/events``: SendGrid's Event Webhook, recorded on the e-mail conversations.

SendGrid cannot send our API key; the request proves itself with its ECDSA signature
(``sendgrid_signature``). Each company's SendGrid account posts to a URL that names the
company and project (``?company_id=...&project_id=...``, set by operators: runbook), whose
config holds the account's verification key (``channel_config.email.event_webhook_public_key``).
Missing headers, a timestamp more than ``TOLERANCE`` away (a replay of an old post), no such
company or no key, and a wrong signature all get the same 403, before anything is written.

A verified post is a JSON array of events. Each mail carried its conversation's key in
``custom_args``, which SendGrid repeats in every event; an event with no key of ours, or of a
type not tracked here, is acknowledged and ignored. The update is conditional on a status rank
(``ConversationRepository.record_delivery``), so a repeated post changes nothing and a late
``deferred`` never overwrites ``delivered``; SendGrid may post in any order.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from chalicelib.comms.company_config import CompanyConfigRepository
from chalicelib.comms.conversations import (
    MAX_ADDRESS_LENGTH,
    ConversationKey,
    ConversationRepository,
)
from chalicelib.comms.exceptions import EventsNotVerifiedError, InvalidEventsError
from chalicelib.comms.sendgrid_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from shared.observability import logger
from shared.query import checked_parameters

log = logger("comms-router")

# The deliverability events recorded, in the order they can happen; final ones share a rank.
EVENT_RANK: Final = {
    "processed": 1,
    "deferred": 2,
    "delivered": 3,
    "bounce": 3,
    "dropped": 3,
    "open": 4,
}
# How far a post's timestamp may be from our clock: an older post is a replay.
TOLERANCE: Final = timedelta(minutes=5)
QUERY_PARAMETERS: Final = ("company_id", "project_id")
# What is kept of a bounce's or drop's reason (SendGrid sends the remote server's text).
MAX_REASON_LENGTH: Final = 500


@dataclass(frozen=True)
class EventsRecorded:
    received: int
    applied: int

    def as_body(self) -> dict[str, Any]:
        return {"status": "recorded", "received": self.received, "applied": self.applied}


def _fresh(timestamp: str, now: datetime) -> bool:
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        return False
    return abs(now - signed_at) <= TOLERANCE


def _public_key(config: Mapping[str, Any] | None) -> str | None:
    channels = (config or {}).get("channel_config") or {}
    key = (channels.get("email") or {}).get("event_webhook_public_key")
    return key if isinstance(key, str) and key else None


def _events(payload: bytes) -> list[dict[str, Any]]:
    try:
        events = json.loads(payload)
    except ValueError as err:
        raise InvalidEventsError("the body is not JSON") from err
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise InvalidEventsError("the body is not a JSON array of event objects")
    return events


def _key(event: Mapping[str, Any]) -> ConversationKey | None:
    """The conversation an event is for (the mail's ``custom_args``), or None when it names
    none of ours."""
    address = event.get("primary_channel")
    conversation_id = event.get("conversation_id")
    if not isinstance(address, str) or not isinstance(conversation_id, str):
        return None
    if not address or len(address) > MAX_ADDRESS_LENGTH:
        return None
    try:
        uuid.UUID(conversation_id)
    except ValueError:
        return None
    return ConversationKey(address, conversation_id)


def _record(conversations: ConversationRepository, event: Mapping[str, Any], now: datetime) -> bool:
    status, key, sg_message_id = event.get("event"), _key(event), event.get("sg_message_id")
    if status not in EVENT_RANK or key is None or not isinstance(sg_message_id, str):
        return False
    reason = event.get("reason")
    return conversations.record_delivery(
        key,
        # ``<X-Message-Id>.<SendGrid's suffix>``: the processor kept the X-Message-Id.
        sg_message_id.split(".", 1)[0],
        str(status),
        EVENT_RANK[str(status)],
        {
            "delivery_error_code": str(event["status"]) if event.get("status") else None,
            "delivery_reason": str(reason)[:MAX_REASON_LENGTH] if reason else None,
            "delivery_updated_at": now.isoformat(),
        },
    )


def record_events(
    raw_body: bytes | str | None,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    configs: CompanyConfigRepository,
    conversations: ConversationRepository,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> EventsRecorded:
    """Verify one post of the Event Webhook and record its events.

    Raises:
        InvalidQueryError: the URL does not name a company and project (400).
        EventsNotVerifiedError: no signature or timestamp, a stale timestamp, no key for the
            company, or a wrong signature (403).
        InvalidEventsError: a verified body that is not a JSON array of objects (400).
        TransientError: DynamoDB failed (503: SendGrid posts again).
    """
    params = checked_parameters(query, required=QUERY_PARAMETERS)
    payload = raw_body.encode() if isinstance(raw_body, str) else (raw_body or b"")
    signature, timestamp = headers.get(SIGNATURE_HEADER), headers.get(TIMESTAMP_HEADER)
    moment = now()
    if not signature or not timestamp or not _fresh(timestamp, moment):
        raise EventsNotVerifiedError()
    public_key = _public_key(configs.get(params["company_id"], params["project_id"]))
    if public_key is None or not verify(public_key, timestamp, payload, signature):
        raise EventsNotVerifiedError()
    events = _events(payload)
    recorded = EventsRecorded(len(events), sum(_record(conversations, e, moment) for e in events))
    log.info(
        "delivery events",
        extra={
            "company_id": params["company_id"],
            "project_id": params["project_id"],
            "received": recorded.received,
            "applied": recorded.applied,
        },
    )
    return recorded
