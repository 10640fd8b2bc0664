"""How a message can fail. Transient ones go back to SQS (and to the DLQ after 3 receives);
permanent ones are recorded on the conversation as ``failed`` and never retried; a message no
processor can read (a poison message) goes to the DLQ at once."""

from __future__ import annotations

from enum import StrEnum

from shared.errors import FleetError, TransientError

__all__ = [
    "DeliveryUnknownError",
    "InvalidContextError",
    "PermanentFailureError",
    "PoisonKind",
    "TransientError",
]


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
