"""One queued context object, processed exactly once per conversation."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from openai import OpenAI
from pydantic import ValidationError

from chalicelib.comms import names
from chalicelib.comms.processor.ai import Drafted, draft_first_message
from chalicelib.comms.processor.conversations import (
    ConversationKey,
    ConversationRepository,
    Status,
)
from chalicelib.comms.processor.credentials import Credentials, TwilioCredentials
from chalicelib.comms.processor.exceptions import InvalidContextError, PermanentFailureError
from chalicelib.comms.processor.messaging import TwilioSender
from chalicelib.comms.processor.models import ChannelConfig, ContextObject
from shared.errors import TransientError
from shared.observability import logger
from shared.storable import dynamo_value

log = logger("comms-processor")


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    FAILED = "failed"
    INVALID = "invalid"
    SENT_UNRECORDED = "sent_unrecorded"


@dataclass
class ProcessorDeps:
    conversations: ConversationRepository
    credentials: Credentials
    openai_client: Callable[[str], OpenAI]
    twilio_sender: Callable[[TwilioCredentials], TwilioSender]
    status_callback_url: str | None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def parse_context(body: str) -> ContextObject:
    try:
        return ContextObject.model_validate_json(body)
    except ValidationError as err:
        raise InvalidContextError(f"not a context object: {err.error_count()} problem(s)") from err


def address_for(context: ContextObject, channel: str) -> str:
    recipient = context.frontend_payload.recipient_data
    address = recipient.recipient_email if channel == "email" else recipient.recipient_tel
    if not address:
        raise InvalidContextError(f"the context has no recipient address for {channel}")
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


def _callback(base: str | None, key: ConversationKey) -> str | None:
    if not base:
        return None
    return f"{base}?{urlencode(key.as_key())}"


def _send(
    sender: TwilioSender,
    config: ChannelConfig,
    channel: str,
    address: str,
    drafted: Drafted,
    callback: str | None,
) -> tuple[str, str]:
    """Send the drafted message; returns (message SID, the text or variables sent)."""
    if channel == "whatsapp":
        if not config.content_sid:
            raise PermanentFailureError("channel_config.whatsapp has no content_sid")
        variables = {k: str(v) for k, v in drafted.output.items()}
        sid = sender.send_whatsapp_template(
            config.sender, address, config.content_sid, variables, callback
        )
        return sid, str(variables)
    text = str(drafted.output["message"])
    return sender.send_sms(config.sender, address, text, callback), text


def process_context(body: str, channel: str, deps: ProcessorDeps) -> Outcome:
    """Process one SQS message body.

    Returns how it ended; a permanent failure is recorded and returned, never raised.

    Raises:
        TransientError: worth retrying (SQS redelivers; after 3 receives, the DLQ).
    """
    started = time.monotonic()
    try:
        context = parse_context(body)
        address = address_for(context, channel)
    except InvalidContextError as err:
        log.error("invalid context object: never sent, never retried", extra={"reason": err.reason})
        return Outcome.INVALID
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
            # An earlier attempt stopped while calling Twilio: the message may be out. Sending
            # again could reach the recipient twice, so the conversation is failed instead.
            _fail(
                deps,
                key,
                Status.SENDING,
                "an earlier attempt stopped while sending; delivery unknown, not resent",
                None,
            )
            return Outcome.FAILED

    try:
        config = context.channel_config(channel)
        sender = deps.twilio_sender(deps.credentials.twilio(config.credentials_id))
        openai_client = deps.openai_client(deps.credentials.openai_key())
        drafted = draft_first_message(openai_client, context, channel)
    except PermanentFailureError as err:
        _fail(deps, key, Status.PROCESSING, err.reason, err.code)
        return Outcome.FAILED
    except ValueError as err:
        _fail(deps, key, Status.PROCESSING, str(err), None)
        return Outcome.FAILED

    callback = _callback(deps.status_callback_url, key)
    deps.conversations.transition(
        key,
        Status.PROCESSING,
        {
            "conversation_status": str(Status.SENDING),
            # What the status callback verifies Twilio's signature with.
            "credentials_id": config.credentials_id,
            "status_callback_url": callback,
            "ai_conversation_id": drafted.ai_conversation_id,
            "updated_at": deps.now().isoformat(),
        },
    )
    try:
        sid, sent = _send(sender, config, channel, address, drafted, callback)
    except PermanentFailureError as err:
        _fail(deps, key, Status.SENDING, err.reason, err.code)
        return Outcome.FAILED
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
                "message_sid": sid,
                "ai_response_id": drafted.response_id,
                "ai_model": drafted.model,
                "prompt_version": drafted.prompt_version,
                "messages": [
                    {
                        "role": "assistant",
                        "content": sent,
                        "message_sid": sid,
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
            extra={"conversation_id": key.conversation_id, "message_sid": sid, "error": str(err)},
        )
        return Outcome.SENT_UNRECORDED
    log.info(
        "first message sent",
        extra={"conversation_id": key.conversation_id, "message_sid": sid, "channel": channel},
    )
    return Outcome.SENT


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
