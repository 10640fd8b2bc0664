"""What can go wrong in comms, by area: the router's refusals, then how a processor's message
can fail, then why a delivery report was refused.

The router's refusals carry the HTTP status and the contract's error_code (``ApiError``), so the
app's one error mapper renders them by type, never by message text. A body that is not a JSON
object, or nested too deep, is refused by the shared parser
(``shared.errors.MalformedJsonError``, ``NestingTooDeepError``).

A processor's transient failures go back to SQS (and to the DLQ after 3 receives); permanent
ones are recorded on the conversation as ``failed`` and never retried; a message no processor
can read (a poison message) goes to the DLQ at once.

Twilio reads only a delivery report's status: a 4xx is final for it (it does not retry), so
every refusal of a report is one a retry could not change, and SendGrid's retries of a refused
post change nothing either.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from shared.errors import ApiError, FieldProblem, FleetError, TransientError

# The router's refusals.


class RouterError(ApiError):
    """Base of every refusal the router makes itself."""


class InvalidRequestError(RouterError):
    status = 400
    error_code = "VALIDATION_ERROR"
    problems: tuple[FieldProblem, ...]

    def __init__(self, problems: Sequence[FieldProblem], request_id: str | None = None) -> None:
        summary = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        super().__init__(f"invalid request: {summary}", request_id, problems=problems)


class CompanyNotFoundError(RouterError):
    status = 404
    error_code = "COMPANY_NOT_FOUND"


class ProjectInactiveError(RouterError):
    status = 403
    error_code = "PROJECT_INACTIVE"


class ChannelNotAllowedError(RouterError):
    status = 403
    error_code = "CHANNEL_NOT_ALLOWED"


class ChannelNotConfiguredError(RouterError):
    """The project may use the channel, but its config cannot send on it (no sender or no
    credentials reference): an operator's fix, a state conflict for the client."""

    status = 409
    error_code = "CHANNEL_NOT_CONFIGURED"


class PayloadTooLargeError(RouterError):
    """The context object would not fit in one SQS message: nothing was queued."""

    status = 413
    error_code = "PAYLOAD_TOO_LARGE"


class CompanyConfigInvalidError(RouterError):
    """The stored company config cannot be used: an operator's fix, so a 500."""

    status = 500
    error_code = "COMPANY_CONFIG_INVALID"


class QueueUnavailableError(RouterError):
    """DynamoDB or SQS failed after boto3's retries: nothing was queued, the client may retry
    (the mapper adds ``Retry-After``)."""

    status = 503
    error_code = "QUEUE_UNAVAILABLE"


class MessageTooLargeError(FleetError):
    """A message is over SQS's size limit; ``size`` and ``limit`` are in bytes."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a {size}-byte message is over the {limit}-byte limit")
        self.size = size
        self.limit = limit


# How a processor's message can fail.


class PermanentFailureError(FleetError):
    """Retrying cannot help (invalid number, outside the messaging window, bad request)."""

    def __init__(self, reason: str, code: str | int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class PoisonKind(StrEnum):
    """Why no processor can read a message (the ``poison_kind`` attribute in the DLQ)."""

    NOT_JSON = "not_json"
    NOT_A_CONTEXT = "not_a_context"  # JSON, but not shaped as a context object
    UNKNOWN_CHANNEL = "unknown_channel"  # a channel_method this queue does not carry
    INVALID_CONTEXT = "invalid_context"  # a context object whose fields fail validation


class InvalidContextError(PermanentFailureError):
    """The SQS message is not a context object the router would write: retrying cannot
    help, and there is no conversation to record it on, so it goes to the DLQ with
    ``kind`` and the reason."""

    def __init__(self, kind: PoisonKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


class DeliveryUnknownError(TransientError):
    """The send may or may not have gone out (its answer was lost after the request may have
    reached the provider: ``transport.may_have_gone_out``): it is never repeated. The
    conversation stays ``sending``; the redelivery asks the provider."""


# Why a delivery report was refused.


class InvalidCallbackError(ApiError):
    """The posted form is not UTF-8, or lacks a field Twilio always sends, or names a
    status Twilio does not have."""

    status = 400
    error_code = "INVALID_CALLBACK"

    def __init__(self, message: str, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message, problems=problems)


class CallbackNotVerifiedError(ApiError):
    """No signature, a wrong one, or no conversation to check it against: one answer for all
    three, so a caller without Twilio's auth token learns nothing about our conversations."""

    status = 403
    error_code = "SIGNATURE_INVALID"

    def __init__(self) -> None:
        super().__init__("the X-Twilio-Signature of this callback could not be verified")


class EventsNotVerifiedError(ApiError):
    """No signature or timestamp, a timestamp too old or too new (a replay), a company with no
    verification key, or a wrong signature: one answer for all, as for Twilio's callbacks."""

    status = 403
    error_code = "SIGNATURE_INVALID"

    def __init__(self) -> None:
        super().__init__("the signature of these SendGrid events could not be verified")


class InvalidEventsError(ApiError):
    """A signed body that is not SendGrid's JSON array of event objects."""

    status = 400
    error_code = "INVALID_EVENTS"
