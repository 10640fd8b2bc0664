"""Why a delivery report was refused. Twilio reads only the status: a 4xx is final for it (it
does not retry), so every refusal here is one a retry could not change, and SendGrid's
retries of a refused post change nothing either."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import ApiError, FieldProblem


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
