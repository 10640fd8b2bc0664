"""One queued context object, processed exactly once per conversation."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from openai import OpenAI
from pydantic import ValidationError

from chalicelib.comms import names
from chalicelib.comms.ai import draft_first_message, open_conversation
from chalicelib.comms.budget import Budget
from chalicelib.comms.context_object import ContextObject
from chalicelib.comms.conversations import (
    ConversationKey,
    ConversationRepository,
    Status,
)
from chalicelib.comms.credentials import Credentials
from chalicelib.comms.exceptions import (
    DeliveryUnknownError,
    InvalidContextError,
    PermanentFailureError,
    PoisonKind,
)
from chalicelib.comms.outbound import Outbound
from shared.errors import TransientError
from shared.observability import logger
from shared.storable import dynamo_value

log = logger("comms-processor")

_INTERRUPTED = "an earlier attempt stopped while sending"
# How far before our clock's start of a send the provider's clock may stamp it: both keep
# NTP time; more would risk taking an earlier conversation's message to the same address.
CLOCK_SKEW = timedelta(seconds=2)
# Kept free while OpenAI is asked: one full attempt of the provider's send, which follows.
SEND_RESERVE_SECONDS = 10.0
# The fields that make a JSON object a context object (the router's ``context.py`` writes them).
_CONTEXT_FIELDS = frozenset({"frontend_payload", "company_data_payload", "conversation_data"})


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    FAILED = "failed"
    DEAD_LETTERED = "dead_lettered"  # a poison message, moved to the DLQ (batch.py)
    SENT_UNRECORDED = "sent_unrecorded"
    FOUND_SENT = "found_sent"  # an interrupted send that the provider lists


@dataclass
class ProcessorDeps:
    conversations: ConversationRepository
    credentials: Credentials
    openai_client: Callable[[str], OpenAI]
    # The channel's provider for one conversation (raises ValueError for an unusable
    # company config, PermanentFailureError for unusable credentials).
    outbound: Callable[[str, ContextObject, ConversationKey], Outbound]
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def _problems(err: ValidationError) -> str:
    """Where the context fails and why, without the values (they may be personal data)."""
    found = [
        f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}"
        for e in err.errors(include_input=False, include_url=False)
    ]
    more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
    return "; ".join(found[:3]) + more


def parse_context(body: str, channel: str) -> ContextObject:
    """The context object a message on ``channel``'s queue carries.

    Raises:
        InvalidContextError: a poison message: not JSON, not a context object, one that
            fails validation, or one for a channel this queue does not carry.
    """
    try:
        raw = json.loads(body)
    except ValueError as err:
        raise InvalidContextError(PoisonKind.NOT_JSON, f"the body is not JSON: {err}") from err
    if not isinstance(raw, dict) or not raw.keys() >= _CONTEXT_FIELDS:
        raise InvalidContextError(
            PoisonKind.NOT_A_CONTEXT,
            f"the body is JSON but not a context object (one holds {sorted(_CONTEXT_FIELDS)})",
        )
    try:
        context = ContextObject.model_validate(raw)
    except ValidationError as err:
        raise InvalidContextError(
            PoisonKind.INVALID_CONTEXT, f"the context object fails validation: {_problems(err)}"
        ) from err
    method = context.frontend_payload.request_data.channel_method
    if method != channel:
        raise InvalidContextError(
            PoisonKind.UNKNOWN_CHANNEL,
            f"channel_method {method[:40]!r} is not this queue's channel ({channel})",
        )
    return context


def address_for(context: ContextObject, channel: str) -> str:
    recipient = context.frontend_payload.recipient_data
    address = recipient.recipient_email if channel == "email" else recipient.recipient_tel
    if not address:
        raise InvalidContextError(
            PoisonKind.INVALID_CONTEXT, f"the context has no recipient address for {channel}"
        )
    return address


def new_record(context: ContextObject, channel: str, address: str, now: datetime) -> dict[str, Any]:
    payload = context.frontend_payload
    company = context.company_data_payload
    return {
        "primary_channel": address,
        "conversation_id": context.conversation_data.conversation_id,
        "company_id": company.company_id,
        "project_id": company.project_id,
        "company_name": company.company_name,
        "project_name": company.project_name,
        "request_id": payload.request_data.request_id,
        "channel_method": channel,
        "conversation_status": str(Status.PROCESSING),
        "task_complete": 0,
        "created_at": now.isoformat(),
        "updated_at": now.isoformat(),
        "recipient_first_name": payload.recipient_data.recipient_first_name,
        "recipient_last_name": payload.recipient_data.recipient_last_name,
        # Numbers with a fraction as Decimals: boto3 refuses floats (shared/storable.py).
        "project_data": dynamo_value(payload.project_data),
        "messages": [],
    }


def process_context(body: str, channel: str, deps: ProcessorDeps, budget: Budget) -> Outcome:
    """Process one SQS message body, each outside call within ``budget``.

    Returns how it ended; a permanent failure of a conversation is recorded and returned,
    never raised.

    Raises:
        InvalidContextError: a poison message (no conversation to record it on).
        TransientError: worth retrying (SQS redelivers; after 3 receives, the DLQ).
    """
    started = time.monotonic()
    context = parse_context(body, channel)
    address = address_for(context, channel)
    key = ConversationKey(address, context.conversation_data.conversation_id)
    existing = deps.conversations.start(new_record(context, channel, address, deps.now()))
    if existing is not None:
        status = existing.get("conversation_status")
        if status in (Status.SENT, Status.FAILED):
            log.info(
                "redelivered: already handled",
                extra={"conversation_id": key.conversation_id, "status": status},
            )
            return Outcome.ALREADY_SENT if status == Status.SENT else Outcome.FAILED
        if status == Status.SENDING:
            return _settle_interrupted_send(context, channel, key, existing, deps, budget)

    drafting = budget.keeping(SEND_RESERVE_SECONDS)
    try:
        outbound = deps.outbound(channel, context, key)
        openai_client = deps.openai_client(deps.credentials.openai_key())
        ai_conversation_id = (existing or {}).get("ai_conversation_id") or _open_conversation(
            openai_client, context, channel, key, deps, drafting
        )
        drafted = draft_first_message(openai_client, context, channel, ai_conversation_id, drafting)
    except PermanentFailureError as err:
        _fail(deps, key, Status.PROCESSING, err.reason, err.code)
        return Outcome.FAILED
    except ValueError as err:
        _fail(deps, key, Status.PROCESSING, str(err), None)
        return Outcome.FAILED

    now = deps.now()
    deps.conversations.transition(
        key,
        Status.PROCESSING,
        {
            "conversation_status": str(Status.SENDING),
            # What Twilio's status callback verifies its signature with.
            "credentials_id": outbound.credentials_id,
            "status_callback_url": outbound.callback_url,
            # Where a redelivery that finds `sending` looks for the message (after a crash).
            "sending_at": now.isoformat(),
            "updated_at": now.isoformat(),
        },
    )
    try:
        sent = outbound.send(drafted, budget)
    except PermanentFailureError as err:
        _fail(deps, key, Status.SENDING, err.reason, err.code)
        return Outcome.FAILED
    except DeliveryUnknownError:
        raise  # stays `sending`: the redelivery asks the provider whether it went out
    except TransientError:
        # Nothing went out: back to `processing`, so the redelivery may send.
        deps.conversations.transition(
            key,
            Status.SENDING,
            {"conversation_status": str(Status.PROCESSING), "updated_at": deps.now().isoformat()},
        )
        raise

    now = deps.now()
    try:
        deps.conversations.transition(
            key,
            Status.SENDING,
            {
                "conversation_status": str(Status.SENT),
                "message_sid": sent.message_id,
                "ai_response_id": drafted.response_id,
                "ai_model": drafted.model,
                "prompt_version": drafted.prompt_version,
                "messages": [
                    {
                        "role": "assistant",
                        "content": sent.content,
                        "message_sid": sent.message_id,
                        "timestamp": now.isoformat(),
                    }
                ],
                "processing_time_ms": int((time.monotonic() - started) * 1000),
                "initial_message_sent_at": now.isoformat(),
                "updated_at": now.isoformat(),
            },
        )
    except TransientError as err:
        log.critical(
            names.FINAL_UPDATE_FAILED_MARKER,
            extra={
                "conversation_id": key.conversation_id,
                "message_sid": sent.message_id,
                "error": str(err),
            },
        )
        return Outcome.SENT_UNRECORDED
    log.info(
        "first message sent",
        extra={
            "conversation_id": key.conversation_id,
            "message_sid": sent.message_id,
            "channel": channel,
        },
    )
    return Outcome.SENT


def _open_conversation(
    client: OpenAI,
    context: ContextObject,
    channel: str,
    key: ConversationKey,
    deps: ProcessorDeps,
    budget: Budget,
) -> str:
    """Open the OpenAI Conversation and keep its id on the record before anything else is
    asked of OpenAI, so that a retry (a redelivery after a failed response) reuses it."""
    ai_conversation_id = open_conversation(client, context, channel, budget)
    deps.conversations.transition(
        key,
        Status.PROCESSING,
        {"ai_conversation_id": ai_conversation_id, "updated_at": deps.now().isoformat()},
    )
    return ai_conversation_id


def _settle_interrupted_send(
    context: ContextObject,
    channel: str,
    key: ConversationKey,
    record: dict[str, Any],
    deps: ProcessorDeps,
    budget: Budget,
) -> Outcome:
    """An earlier attempt stopped while calling the provider (a crash, a lost answer): the
    message may be out, and sending again could reach the recipient twice. The provider is
    asked which messages it sent from the company's sender to this recipient since the send
    began: exactly one is this conversation's, recorded as sent with its id; none, several
    that cannot be told apart, or a provider that cannot be asked (SendGrid) fails the
    conversation as "delivery unknown", never resent.

    Raises:
        TransientError: the provider or DynamoDB could not be reached (SQS redelivers).
    """
    try:
        outbound = deps.outbound(channel, context, key)
    except (PermanentFailureError, ValueError) as err:
        _fail(deps, key, Status.SENDING, f"{_INTERRUPTED}; cannot ask: {err}", None)
        return Outcome.FAILED
    # Written when the send began; `updated_at` (then written too) for older records.
    since = datetime.fromisoformat(record.get("sending_at") or record["updated_at"])
    found = outbound.sent_since(since - CLOCK_SKEW, budget)
    if found is None or len(found) != 1:
        answer = _listed(outbound.provider, found)
        _fail(deps, key, Status.SENDING, f"{_INTERRUPTED}; {answer}; not resent", None)
        return Outcome.FAILED
    (message_id,) = found
    now = deps.now().isoformat()
    deps.conversations.transition(
        key,
        Status.SENDING,
        {
            "conversation_status": str(Status.SENT),
            "message_sid": message_id,
            "message_found_after_interruption": True,
            "initial_message_sent_at": now,
            "updated_at": now,
        },
    )
    log.warning(
        "an interrupted send had gone out: recorded from the provider's list",
        extra={"conversation_id": key.conversation_id, "message_sid": message_id},
    )
    return Outcome.FOUND_SENT


def _listed(provider: str, found: list[str] | None) -> str:
    if found is None:
        return f"{provider} cannot be asked"
    return f"{provider} lists {len(found)} such messages" if found else f"{provider} lists none"


def _fail(
    deps: ProcessorDeps, key: ConversationKey, expected: Status, reason: str, code: str | int | None
) -> None:
    log.warning(
        "conversation failed permanently",
        extra={"conversation_id": key.conversation_id, "reason": reason, "code": code},
    )
    deps.conversations.transition(
        key,
        expected,
        {
            "conversation_status": str(Status.FAILED),
            "failure_reason": reason,
            "failure_code": str(code) if code is not None else None,
            "updated_at": deps.now().isoformat(),
        },
    )
