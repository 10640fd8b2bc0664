"""Why the router refused a request. Each carries the HTTP status and the contract's error_code,
so the route maps errors by type and never by message text."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import FleetError


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: its dotted path in the request body and what is wrong with it."""

    field: str
    reason: str


class RouterError(FleetError):
    """Base of every refusal; subclasses set ``status`` and ``error_code``."""

    status: int = 500
    error_code: str = "INTERNAL_ERROR"

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class MalformedJsonError(RouterError):
    status = 400
    error_code = "MALFORMED_JSON"


class InvalidRequestError(RouterError):
    status = 400
    error_code = "VALIDATION_ERROR"

    def __init__(self, problems: list[FieldProblem], request_id: str | None = None) -> None:
        summary = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        super().__init__(f"invalid request: {summary}", request_id)
        self.problems = problems


class CompanyNotFoundError(RouterError):
    status = 404
    error_code = "COMPANY_NOT_FOUND"


class ProjectInactiveError(RouterError):
    status = 403
    error_code = "PROJECT_INACTIVE"


class ChannelNotAllowedError(RouterError):
    status = 403
    error_code = "CHANNEL_NOT_ALLOWED"


class CompanyConfigInvalidError(RouterError):
    """The stored company config cannot be used: an operator's fix, so a 500."""

    status = 500
    error_code = "COMPANY_CONFIG_INVALID"


class QueueUnavailableError(RouterError):
    """SQS refused the message after boto3's retries: nothing was queued, the client may retry."""

    status = 503
    error_code = "QUEUE_UNAVAILABLE"
