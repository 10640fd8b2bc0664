"""Retrying a provider's call the way it asks: backoff with jitter, and never sooner than its
``Retry-After``.

A 429 that says when to come back earns another 429 if called sooner (Twilio's came 0.5 to
2.5 s apart after ``Retry-After: 3``), so the wait is the longer of the backoff and the
provider's delay. A delay longer than ``max_wait_seconds`` is not waited out inside the
invocation, which holds its whole batch: the call gives up at once, and the message goes back
to SQS, which brings it back after the queue's visibility timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

# The longest backoff between two attempts, before its jitter.
BACKOFF_CAP_SECONDS = 8.0


class RetryLaterError(Exception):
    """The provider refused for now (429, a 503 with a delay); ``retry_after`` is how long
    it asked us to wait, in seconds (None when it did not say)."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """The delay a ``Retry-After`` header asks for: delay-seconds or an HTTP date (RFC 9110,
    10.2.3); None when absent or unreadable, never negative."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


def provider_retrying(
    is_transient: Callable[[BaseException], bool],
    attempts: int,
    backoff_seconds: float,
    max_wait_seconds: float,
) -> Retrying:
    """``attempts`` calls at most, waiting about ``backoff_seconds`` x 2^n between them (plus
    as much jitter, ``BACKOFF_CAP_SECONDS`` at most), or the provider's ``retry_after`` when
    longer; a delay over ``max_wait_seconds`` stops at once. Raises ``tenacity.RetryError``
    when it gives up on a transient error, and re-raises any other at once."""
    backoff = wait_exponential_jitter(
        multiplier=backoff_seconds, max=BACKOFF_CAP_SECONDS, jitter=backoff_seconds
    )

    def asked(state: RetryCallState) -> float | None:
        error = state.outcome.exception() if state.outcome else None
        return error.retry_after if isinstance(error, RetryLaterError) else None

    def wait(state: RetryCallState) -> float:
        return max(backoff(state), asked(state) or 0.0)

    enough = stop_after_attempt(attempts)

    def stop(state: RetryCallState) -> bool:
        return enough(state) or (asked(state) or 0.0) > max_wait_seconds

    return Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop,
        wait=wait,
        reraise=False,
    )


def longest_wait(max_wait_seconds: float) -> float:
    """The longest ``provider_retrying`` can wait between two attempts: its backoff's cap
    (jitter included), or the longest provider's delay it waits out
    (``budget.Budget.plan`` counts it between every two attempts)."""
    return max(BACKOFF_CAP_SECONDS, max_wait_seconds)
