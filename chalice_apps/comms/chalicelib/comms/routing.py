"""POST /initiate-conversation as a plain function of its dependencies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from chalicelib.comms.channels import missing_settings
from chalicelib.comms.company_config import CompanyConfigRepository
from chalicelib.comms.context import build_context, conversation_id_for
from chalicelib.comms.dispatch import ChannelQueues
from chalicelib.comms.exceptions import (
    ChannelNotAllowedError,
    ChannelNotConfiguredError,
    CompanyConfigInvalidError,
    CompanyNotFoundError,
    MessageTooLargeError,
    PayloadTooLargeError,
    ProjectInactiveError,
    QueueUnavailableError,
)
from chalicelib.comms.request_body import CompanyConfig
from chalicelib.comms.validation import parse_request
from shared.errors import TransientError
from shared.observability import logger

log = logger("comms-router")


@dataclass(frozen=True)
class Accepted:
    """A queued conversation request: what the 200 response reports."""

    request_id: str
    conversation_id: str
    queued_at: str

    def as_body(self) -> dict[str, str]:
        return {
            "status": "success",
            "request_id": self.request_id,
            "conversation_id": self.conversation_id,
            "queued_at": self.queued_at,
        }


# The cause (an AWS error) is logged by the error mapper, never sent to the client.
_UNAVAILABLE = "the request could not be queued now; send it again (it is safe to retry)"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def initiate_conversation(
    raw_body: bytes | str | None,
    query: Mapping[str, str],
    configs: CompanyConfigRepository,
    queues: ChannelQueues,
    now: Callable[[], datetime] = _utcnow,
) -> Accepted:
    """Validate, check the company config (the channel allowed and able to send), and queue
    the context object.

    Every check runs before the single SQS send, so a refused request queues nothing.

    Raises:
        InvalidQueryError, MalformedJsonError, NestingTooDeepError, InvalidRequestError: 400.
        CompanyNotFoundError: 404.
        ProjectInactiveError, ChannelNotAllowedError: 403.
        ChannelNotConfiguredError: the config lacks the channel's sender or credentials (409).
        PayloadTooLargeError: the context object would not fit in one SQS message (413).
        CompanyConfigInvalidError: the stored item is unusable (500).
        QueueUnavailableError: DynamoDB or SQS failed after retries (503, safe to retry:
            the conversation id is derived from the request, so a retry never duplicates).
    """
    request, body = parse_request(raw_body, query)
    company = request.company_data
    request_id = str(request.request_data.request_id)
    channel = request.request_data.channel_method

    try:
        item = configs.get(company.company_id, company.project_id)
    except TransientError as err:
        raise QueueUnavailableError(_UNAVAILABLE, request_id) from err
    if item is None:
        raise CompanyNotFoundError(
            f"no project '{company.project_id}' for company '{company.company_id}'", request_id
        )
    try:
        config = CompanyConfig.model_validate(item)
    except ValidationError as err:
        raise CompanyConfigInvalidError(
            f"the stored config of this project is invalid: {err.error_count()} problem(s)",
            request_id,
        ) from err
    if config.project_status != "active":
        raise ProjectInactiveError(
            f"project '{company.project_id}' is {config.project_status}, not active", request_id
        )
    if channel not in config.allowed_channels:
        raise ChannelNotAllowedError(
            f"channel '{channel}' is not allowed for this project "
            f"(allowed: {', '.join(config.allowed_channels) or 'none'})",
            request_id,
        )
    missing = missing_settings(channel, config.channel_config)
    if missing:
        raise ChannelNotConfiguredError(
            f"channel '{channel}' cannot send for this project: its channel_config.{channel} "
            f"lacks {', '.join(missing)}",
            request_id,
        )

    conversation_id = conversation_id_for(company.company_id, company.project_id, request_id)
    queued_at = now()
    context = build_context(body, item, conversation_id, queued_at)
    try:
        message_id = queues.send(channel, context)
    except MessageTooLargeError as err:
        raise PayloadTooLargeError(
            f"the request makes a {err.size:,}-byte queue message (JSON, non-ASCII escaped); "
            f"one SQS message holds at most {err.limit:,} bytes ({err.limit // 1024} KiB)",
            request_id,
        ) from err
    except TransientError as err:
        raise QueueUnavailableError(_UNAVAILABLE, request_id) from err
    log.info(
        "conversation queued",
        extra={
            "request_id": request_id,
            "conversation_id": conversation_id,
            "channel": channel,
            "message_id": message_id,
        },
    )
    return Accepted(
        request_id=request_id,
        conversation_id=conversation_id,
        queued_at=context["conversation_data"]["conversation_start_timestamp"],
    )
