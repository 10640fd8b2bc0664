"""How a message can fail. Transient ones go back to SQS (and to the DLQ after 3 receives);
permanent ones are recorded on the conversation as ``failed`` and never retried."""

from __future__ import annotations

from shared.errors import FleetError, TransientError

__all__ = [
    "DeliveryUnknownError",
    "InvalidContextError",
    "PermanentFailureError",
    "TransientError",
]


class PermanentFailureError(FleetError):
    """Retrying cannot help (invalid number, outside the messaging window, bad request)."""

    def __init__(self, reason: str, code: str | int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class InvalidContextError(PermanentFailureError):
    """The SQS message is not a context object the router would write."""


class DeliveryUnknownError(TransientError):
    """The send may or may not have gone out (it timed out after the request was sent): it is
    never repeated. The conversation stays ``sending``; the redelivery asks the provider."""
