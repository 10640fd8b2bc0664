"""How comms' provider calls wait before a retry: a provider's Retry-After (Twilio) or rate
limit reset (SendGrid) is honoured, and one too long for an invocation stops at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tenacity import RetryError

from chalicelib.comms.processor.mail import seconds_until
from chalicelib.comms.processor.retry import (
    RetryLaterError,
    provider_retrying,
    retry_after_seconds,
)

NOW = datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        ("Wed, 25 Nov 2026 08:00:05 GMT", 5.0),
        ("Wed, 25 Nov 2026 07:59:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-1", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize(
    ("reset", "seconds"), [("1000", 10.0), ("985", 0.0), (None, None), ("x", None)]
)
def test_a_rate_limit_reset_is_a_unix_time(reset: str | None, seconds: float | None) -> None:
    assert seconds_until(reset, now=lambda: 990.0) == seconds


def retrying_sleeps(errors: list[BaseException], max_wait: float = 10.0) -> list[float]:
    """The waits a provider_retrying loop takes before each attempt after the first, when
    the call raises ``errors`` in turn and then answers."""
    retrying = provider_retrying(lambda e: isinstance(e, RetryLaterError), 4, 0.01, max_wait)
    sleeps: list[float] = []
    retrying.sleep = sleeps.append  # type: ignore[method-assign]
    pending = list(errors)

    def call() -> str:
        if pending:
            raise pending.pop(0)
        return "ok"

    assert retrying(call) == "ok"
    return sleeps


def test_the_wait_is_at_least_what_the_provider_asked() -> None:
    sleeps = retrying_sleeps([RetryLaterError("429", 3.0), RetryLaterError("429", None)])

    assert sleeps[0] == 3.0
    assert sleeps[1] < 1  # no delay asked: the backoff (0.01 s, 0.02 s, plus jitter)


def test_a_delay_longer_than_the_invocation_should_wait_stops_at_once() -> None:
    retrying = provider_retrying(lambda e: isinstance(e, RetryLaterError), 4, 0.01, 10.0)
    calls: list[int] = []

    def call() -> None:
        calls.append(1)
        raise RetryLaterError("429", 60.0)

    with pytest.raises(RetryError):
        retrying(call)
    assert calls == [1]
