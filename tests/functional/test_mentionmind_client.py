"""The MentionMind client against a fake that speaks the spec's wire format."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.mentions.client import MentionMindClient, retrying_session
from chalicelib.mentions.exceptions import (
    AuthenticationError,
    MentionMindUnavailableError,
    RequestRejectedError,
)
from devstack.fakes.base import Fault
from devstack.fakes.mentionmind import FakeMentionMind

API_KEY = "mm-key-5d1e"
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeMentionMind]:
    server = FakeMentionMind({API_KEY})
    server.mentions["p1"] = [
        {
            "id": f"m{i}",
            "text": f"mention {i}",
            "source": "twitter",
            "url": f"https://x/{i}",
            "author": "a",
            "date": "2026-11-20T10:00:00Z",
            "status": "new",
        }
        for i in range(250)
    ]
    server.start()
    yield server
    server.stop()


def client_for(fake: FakeMentionMind, **kwargs: object) -> MentionMindClient:
    return MentionMindClient(
        API_KEY, base_url=fake.url, session=retrying_session(backoff_seconds=0.01), **kwargs
    )  # type: ignore[arg-type]


def mention_calls(fake: FakeMentionMind) -> int:
    return sum(r["path"] == "/mention.php" for r in fake.requests)


def test_every_page_is_read_after_one_login(fake: FakeMentionMind) -> None:
    mentions = list(client_for(fake).mentions("p1", START, END, page_size=100))

    assert [m["id"] for m in mentions] == [f"m{i}" for i in range(250)]
    assert fake.logins == 1
    pages = [r for r in fake.requests if r["path"] == "/mention.php"]
    assert len(pages) == 3
    assert pages[0]["headers"]["Authorization"].startswith("Bearer ")


def test_a_session_near_its_expiry_is_renewed_before_the_call(fake: FakeMentionMind) -> None:
    clock = Clock()
    client = client_for(fake, clock=clock)
    list(client.mentions("p1", START, END, page_size=250))
    clock.now = fake.session_seconds - 30  # inside the safety margin

    list(client.mentions("p1", START, END, page_size=250))

    assert fake.logins == 2


def test_a_401_mid_run_logs_in_once_more_and_carries_on(fake: FakeMentionMind) -> None:
    pages = client_for(fake).mentions("p1", START, END, page_size=100)
    first_page = [next(pages) for _ in range(100)]
    fake.expire_sessions()

    rest = list(pages)

    assert len(first_page) + len(rest) == 250
    assert fake.logins == 2


def test_a_fresh_session_refused_too_is_an_authentication_error(fake: FakeMentionMind) -> None:
    fake.fail_next(Fault("/mention.php", status=401, body={"error": "expired"}), times=2)

    with pytest.raises(AuthenticationError, match="fresh session"):
        list(client_for(fake).mentions("p1", START, END))
    assert fake.logins == 2


def test_a_wrong_api_key_is_an_authentication_error(fake: FakeMentionMind) -> None:
    client = MentionMindClient("wrong", base_url=fake.url)
    with pytest.raises(AuthenticationError, match="API key"):
        list(client.mentions("p1", START, END))


def test_a_429_waits_as_long_as_retry_after_says(fake: FakeMentionMind) -> None:
    fake.fail_next(
        Fault("/mention.php", status=429, body={"error": "slow down"}, headers={"Retry-After": "1"})
    )
    started = time.monotonic()

    mentions = list(client_for(fake).mentions("p1", START, END, page_size=250))

    assert len(mentions) == 250
    assert time.monotonic() - started >= 1.0
    assert mention_calls(fake) == 2


def test_a_passing_5xx_is_retried(fake: FakeMentionMind) -> None:
    fake.fail_next(Fault("/mention.php", status=503), times=2)

    assert len(list(client_for(fake).mentions("p1", START, END, page_size=250))) == 250
    assert mention_calls(fake) == 3


def test_a_lasting_5xx_fails_the_run_visibly_after_the_retries(fake: FakeMentionMind) -> None:
    fake.fail_next(Fault("/mention.php", status=500), times=10)

    with pytest.raises(MentionMindUnavailableError, match="500 after retries"):
        list(client_for(fake).mentions("p1", START, END))
    assert mention_calls(fake) == 4


def test_a_rejected_request_is_not_retried(fake: FakeMentionMind) -> None:
    fake.fail_next(Fault("/mention.php", status=400, body={"error": "bad date"}))

    with pytest.raises(RequestRejectedError, match="400"):
        list(client_for(fake).mentions("p1", START, END))
    assert mention_calls(fake) == 1


def test_calls_beyond_the_rate_limit_wait_for_the_window(fake: FakeMentionMind) -> None:
    client = client_for(fake, rate_limit="3/second")
    started = time.monotonic()

    mentions = list(client.mentions("p1", START, END, page_size=50))  # login + 5 pages

    assert len(mentions) == 250
    assert client.calls == 6
    assert time.monotonic() - started >= 1.0  # the 4th call had to wait for the window


def test_the_client_never_shows_its_key(fake: FakeMentionMind) -> None:
    assert API_KEY not in repr(client_for(fake))
