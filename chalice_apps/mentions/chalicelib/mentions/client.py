"""The MentionMind API as ../shared/specs/mentions.md describes it.

- Session tokens: ``POST /login.php`` trades the API key for a token with an expiry; the
  client logs in again shortly before expiry, and once more if a call still gets a 401.
- Rate limit: at most ``rate_limit`` calls (default ``100/minute``, the service's) in any
  window (a moving window, ``limits``); a call that would exceed it waits.
- Retries, timeouts, User-Agent and a log line per call: the shared session
  (``shared.http_client``), retrying GET and POST (a login may be repeated); what still
  fails raises ``MentionMindUnavailableError``.
- Pagination: ``mentions()`` walks every page.
- Observation: each call (with its retries) is reported to ``observe`` with its latency and
  outcome, which is where the ingester's API metrics come from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from limits import parse, storage, strategies

from chalicelib.mentions.exceptions import (
    AuthenticationError,
    MentionMindUnavailableError,
    RequestRejectedError,
)
from shared import http_client

DEFAULT_BASE_URL = "https://app.mentionmind.com/api"
# The service's own timeout.
TIMEOUT_SECONDS = 30.0
USER_AGENT = "serverless-fleet-mentions/1.0 (python-requests)"
# Log in again this long before the token's stated expiry, so no call races it.
EXPIRY_MARGIN_SECONDS = 60.0


def retrying_session(attempts: int = 4, backoff_seconds: float = 0.5) -> requests.Session:
    """The shared session with MentionMind's settings (GET and POST retried, 30 s)."""
    return http_client.retrying_session(
        USER_AGENT,
        attempts=attempts,
        backoff_seconds=backoff_seconds,
        methods=("GET", "POST"),
        timeout=TIMEOUT_SECONDS,
    )


@dataclass(frozen=True)
class ApiCall:
    """One call as the caller saw it: retries included in ``seconds``; ``status`` is None
    when no answer came (connection errors)."""

    path: str
    seconds: float
    status: int | None

    @property
    def failed(self) -> bool:
        """No answer, or an answer that is an error (an expired session's 401 is routine)."""
        return self.status is None or (self.status >= 400 and self.status != 401)


@dataclass
class _Token:
    value: str
    expires_at: float


class MentionMindClient:
    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        session: requests.Session | None = None,
        rate_limit: str = "100/minute",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        observe: Callable[[ApiCall], None] | None = None,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._session = session or retrying_session()
        self._limit = parse(rate_limit)
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._clock = clock
        self._sleep = sleep
        self._token: _Token | None = None
        self._observe = observe
        self.calls = 0

    def __repr__(self) -> str:  # the key and token never appear in logs or tracebacks
        return f"MentionMindClient(base_url={self._base_url!r})"

    def _wait_for_rate_limit(self) -> None:
        while not self._limiter.hit(self._limit, "mentionmind"):
            reset = self._limiter.get_window_stats(self._limit, "mentionmind").reset_time
            self._sleep(max(reset - time.time(), 0.05))

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        self._wait_for_rate_limit()
        self.calls += 1
        started = time.perf_counter()
        try:
            response = self._session.request(method, f"{self._base_url}{path}", **kwargs)
        except requests.RequestException as err:
            self._report(path, started, None)
            raise MentionMindUnavailableError(f"{method} {path} failed: {err}") from err
        self._report(path, started, response.status_code)
        if response.status_code == 429 or response.status_code >= 500:
            raise MentionMindUnavailableError(
                f"{method} {path} still answered {response.status_code} after retries"
            )
        return response

    def _report(self, path: str, started: float, status: int | None) -> None:
        if self._observe is not None:
            self._observe(ApiCall(path, time.perf_counter() - started, status))

    def login(self) -> _Token:
        """Start a session. Raises AuthenticationError when the API key is refused."""
        response = self._send("POST", "/login.php", json={"api_key": self._api_key})
        if response.status_code == 401:
            raise AuthenticationError("MentionMind refused the API key")
        _raise_for_rejection(response)
        body = response.json()
        self._token = _Token(body["session_token"], self._clock() + float(body["expires_in"]))
        return self._token

    def _token_value(self) -> str:
        token = self._token
        if token is None or self._clock() >= token.expires_at - EXPIRY_MARGIN_SECONDS:
            token = self.login()
        return token.value

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(2):
            response = self._send(
                "GET",
                "/mention.php",
                params=params,
                headers={"Authorization": f"Bearer {self._token_value()}"},
            )
            if response.status_code != 401:
                _raise_for_rejection(response)
                result: dict[str, Any] = response.json()
                return result
            if attempt == 0:  # the session ended early: one new login, one more try
                self._token = None
        raise AuthenticationError("MentionMind refused a fresh session token")

    def mentions(
        self, project_id: str, start: datetime, end: datetime, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every mention of ``project_id`` between ``start`` and ``end``, page after page,
        as the API returns them (validation is the caller's)."""
        page = 1
        while True:
            body = self._get(
                {
                    "function": "getMentions",
                    "project_id": project_id,
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "limit": page_size,
                    "page": page,
                }
            )
            yield from body.get("mentions", [])
            if page >= int(body.get("total_pages", 1)):
                return
            page += 1


def _raise_for_rejection(response: requests.Response) -> None:
    if 400 <= response.status_code < 500:
        raise RequestRejectedError(
            f"MentionMind rejected the request ({response.status_code}): {response.text[:200]}"
        )
