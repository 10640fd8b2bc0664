"""Why the router refused a request. Each carries the HTTP status and the contract's error_code
(``ApiError``), so the app's one error mapper renders them by type, never by message text.

A body that is not a JSON object, or nested too deep, is refused by the shared parser
(``shared.errors.MalformedJsonError``, ``NestingTooDeepError``).
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import ApiError, FieldProblem, FleetError


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
