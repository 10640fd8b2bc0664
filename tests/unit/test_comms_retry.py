"""How comms' provider calls wait before a retry: a provider's Retry-After (Twilio) or rate
limit reset (SendGrid) is honoured, and one too long for an invocation stops at once; which
failures may have gone out (never resent blindly); and how a call's attempts fit in the time
the invocation has left."""

from __future__ import annotations

import http.client
from datetime import UTC, datetime

import pytest
import requests
import urllib3.exceptions
from tenacity import RetryError
from twilio.base.exceptions import TwilioRestException

from chalicelib.comms.budget import RESERVE_SECONDS, Budget, CallPlan, OutOfTimeError
from chalicelib.comms.mail import is_transient as sendgrid_transient
from chalicelib.comms.mail import seconds_until
from chalicelib.comms.messaging import is_transient as twilio_transient
from chalicelib.comms.messaging import is_transient_read as twilio_transient_read
from chalicelib.comms.retry import (
    RetryLaterError,
    provider_retrying,
    retry_after_seconds,
)
from chalicelib.comms.transport import (
    UnexplainedServerError,
    may_have_gone_out,
    never_sent,
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
    retrying.sleep = sleeps.append
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


# Issue 22: which failures may have gone out, and how a call fits in the time left.


def _refused() -> requests.ConnectionError:
    """What requests raises when the connection is refused: the pool's MaxRetryError around
    urllib3's NewConnectionError."""
    reason = urllib3.exceptions.NewConnectionError(None, "[Errno 111] Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def _aborted(cause: Exception) -> requests.ConnectionError:
    """What requests raises when the connection fails once it exists."""
    return requests.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.", cause))


@pytest.mark.parametrize(
    ("err", "never", "maybe"),
    [
        (_refused(), True, False),
        (requests.ConnectTimeout("connect timed out"), True, False),
        (
            requests.ConnectionError(
                urllib3.exceptions.MaxRetryError(
                    None,  # type: ignore[arg-type]
                    "/",
                    urllib3.exceptions.NameResolutionError("api.twilio.com", None, OSError()),  # type: ignore[arg-type]
                )
            ),
            True,
            False,
        ),
        (_aborted(http.client.RemoteDisconnected("closed without response")), False, True),
        (_aborted(ConnectionResetError(104, "Connection reset by peer")), False, True),
        (_aborted(BrokenPipeError(32, "Broken pipe")), False, True),
        (requests.ReadTimeout("read timed out"), False, True),
        (requests.exceptions.ChunkedEncodingError("IncompleteRead"), False, True),
        (requests.exceptions.SSLError("EOF in violation of protocol"), False, True),
        (UnexplainedServerError("Twilio", 502), False, True),
        (RetryLaterError("429", 3.0), False, False),
        (TwilioRestException(503, "/Messages.json", "Service Unavailable", 20503), False, False),
        (ValueError("a bug"), False, False),
    ],
    ids=[
        "refused",
        "connect timeout",
        "name not resolved",
        "closed without an answer",
        "reset",
        "broken pipe",
        "read timeout",
        "body cut short",
        "tls",
        "5xx without the provider's body",
        "429",
        "twilio's own 5xx",
        "not a transport error",
    ],
)
def test_a_failure_is_safe_to_resend_only_when_it_came_before_the_connection(
    err: Exception, never: bool, maybe: bool
) -> None:
    assert (never_sent(err), may_have_gone_out(err)) == (never, maybe)


def test_twilio_and_sendgrid_retry_a_send_only_when_nothing_went_out() -> None:
    for is_transient in (twilio_transient, sendgrid_transient):
        assert is_transient(_refused())
        assert not is_transient(_aborted(ConnectionResetError()))
        assert not is_transient(requests.ReadTimeout())
        assert not is_transient(UnexplainedServerError("x", 502))
    # A read changes nothing: a lost answer is read again.
    assert twilio_transient_read(_aborted(ConnectionResetError()))


def _left(seconds: float) -> Budget:
    return Budget(lambda: seconds)


@pytest.mark.parametrize(
    ("left", "plan"),
    [
        (1000.0, CallPlan(30.0, 4)),  # the defaults fit
        (80.0, CallPlan(16.666666666666668, 3)),  # OpenAI in a 90 s invocation
        (40.0, CallPlan(30.0, 1)),  # two would get (30 - 10) / 2 < 15 s each: one attempt
        (13.0, CallPlan(3.0, 1)),  # what is left, once
    ],
)
def test_attempts_and_their_waits_fit_in_the_time_left_before_the_reserve(
    left: float, plan: CallPlan
) -> None:
    planned = _left(left).plan("a call", 30.0, 4, 10.0)

    assert planned == plan
    available = left - RESERVE_SECONDS
    assert planned.attempts * planned.timeout_seconds + (planned.attempts - 1) * 10 <= available


def test_too_little_time_left_makes_no_call() -> None:
    with pytest.raises(OutOfTimeError, match="too little for a call; not called"):
        _left(RESERVE_SECONDS + 1.5).plan("a call", 30.0, 4, 10.0)


def test_time_kept_for_later_calls_is_not_planned_for_this_one() -> None:
    budget = _left(40.0)

    assert budget.keeping(10.0).available() == budget.available() - 10.0
    # 20 s: two attempts of 5 s and a wait of up to 10 s between them.
    assert budget.keeping(10.0).plan("a call", 10.0, 4, 10.0) == CallPlan(5.0, 2)


def test_the_budget_of_an_invocation_is_its_remaining_time() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 42_500

    assert Budget.of_invocation(Context()).available() == 42.5 - RESERVE_SECONDS
