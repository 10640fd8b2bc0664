"""Error types every app shares. Each area adds its own subclasses in its ``exceptions.py``.

``ApiError`` is what a route refuses a request with: it carries its HTTP status and its
``error_code``, so the one mapper (``shared/api.py``) renders every refusal of every app in
the shape of ``../shared/specs/errors.md`` and no route maps errors itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class FleetError(Exception):
    """Base of every error this repository raises on purpose."""


class ConfigurationError(FleetError):
    """The deployment is wrong (missing variable, malformed stored config): our fault, a 5xx."""


class TransientError(FleetError):
    """A dependency failed in a way that may pass: retry later (SQS redelivery, backoff)."""


@dataclass(frozen=True)
class FieldProblem:
    """One invalid body field: its dotted path (``recipient_data.recipient_tel``) and why."""

    field: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class ParameterProblem:
    """One invalid query or path parameter: its name and why."""

    parameter: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"parameter": self.parameter, "reason": self.reason}


Problem = FieldProblem | ParameterProblem


class ApiError(FleetError):
    """A refusal with its HTTP status and stable UPPER_SNAKE ``error_code``.

    Subclasses set ``status`` and ``error_code``; ``message`` is one sentence for a person and
    is sent as is, so it must never hold an AWS error message, a resource name or a secret
    (log those: the mapper logs a 5xx with its cause). ``retry_after`` (seconds) becomes a
    ``Retry-After`` header; a 429 or 503 without one gets the mapper's default.
    """

    status: int = 500
    error_code: str = "INTERNAL_ERROR"
    retry_after: int | None = None

    def __init__(
        self,
        message: str,
        request_id: str | None = None,
        *,
        problems: Sequence[Problem] = (),
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.problems: tuple[Problem, ...] = tuple(problems)
        if retry_after is not None:
            self.retry_after = retry_after


class InternalError(ApiError):
    """Our own fault, told without its details (they are in the log)."""

    def __init__(self) -> None:
        super().__init__("an internal error occurred; it has been logged")


class ServiceUnavailableError(ApiError):
    """A dependency failed after its retries: the client may try again later."""

    status = 503
    error_code = "SERVICE_UNAVAILABLE"

    def __init__(self) -> None:
        super().__init__("a service this API depends on is unavailable; try again later")


class MalformedJsonError(ApiError):
    """The body is not UTF-8 JSON, or not the JSON object the route takes."""

    status = 400
    error_code = "MALFORMED_JSON"


class NestingTooDeepError(ApiError):
    """The body nests objects and arrays deeper than the route accepts."""

    status = 400
    error_code = "NESTING_TOO_DEEP"


class InvalidQueryError(ApiError):
    """Query parameters that are unknown, missing or invalid: every one, each with its reason."""

    status = 400
    error_code = "INVALID_QUERY"

    def __init__(self, problems: Sequence[ParameterProblem]) -> None:
        summary = "; ".join(f"{p.parameter}: {p.reason}" for p in problems)
        super().__init__(f"invalid query: {summary}", problems=problems)
