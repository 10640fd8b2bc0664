"""What can go wrong in trends, by what the caller should do about it."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import ApiError, FieldProblem, FleetError, TransientError


class TrendsError(FleetError):
    """Base of trends' errors."""


class YouTubeError(TrendsError):
    """Base of the YouTube Data API's errors; ``reason`` is the API's own
    (``errors[0].reason``: ``quotaExceeded``, ``videoChartNotFound``...) when it gave one."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class YouTubeUnavailableError(YouTubeError, TransientError):
    """5xx, ``rateLimitExceeded`` or network failures that outlasted the retries: the run
    fails and is tried again later."""


class RequestRejectedError(YouTubeError):
    """A 4xx other than the quota's: our request (or key) is wrong; retrying will not help."""


class ChartNotFoundError(YouTubeError):
    """YouTube keeps no mostPopular chart for this region and category
    (``videoChartNotFound``): the run skips it."""


class QuotaStopError(TrendsError):
    """The run must stop spending quota today; no call was made (our budget) or YouTube
    refused one (``quotaExceeded``). Runs stop cleanly on it and say which."""


class QuotaBudgetExceededError(QuotaStopError):
    """The next call would spend more units than the day's budget allows: not sent."""

    def __init__(self, day: str, used: int, cost: int, budget: int) -> None:
        super().__init__(
            f"the YouTube quota budget of {budget} units for {day} (Pacific) would be "
            f"overspent: {used} used, the next call costs {cost}"
        )
        self.day = day
        self.used = used
        self.cost = cost
        self.budget = budget


class QuotaExceededError(QuotaStopError, YouTubeError):
    """YouTube answered ``quotaExceeded``: the project's quota is spent until midnight
    Pacific. Never retried."""


class DatabaseError(TrendsError, TransientError):
    """DynamoDB failed after boto3's retries."""


class InvalidConfigError(ApiError):
    """A configuration (or a request about one) that breaks a rule: every field, with why."""

    status = 400
    error_code = "VALIDATION_ERROR"

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        summary = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        super().__init__(f"invalid configuration: {summary}", problems=problems)


class ConfigConflictError(ApiError):
    """Someone saved a newer version since the one the change was made on."""

    status = 409
    error_code = "CONFIG_CONFLICT"

    def __init__(self, current: int) -> None:
        super().__init__(
            f"the configuration changed meanwhile (now version {current}): reload and redo"
        )
        self.current = current


class VersionNotFoundError(ApiError):
    status = 404
    error_code = "VERSION_NOT_FOUND"

    def __init__(self, version: int) -> None:
        super().__init__(f"no configuration version {version}")


class UnauthorizedError(ApiError):
    """No identity from the authorizer, or a token of another app client."""

    status = 401
    error_code = "UNAUTHORIZED"

    def __init__(self) -> None:
        super().__init__("sign in again: the identity token is missing or not for this app")
