"""How both outside services are called: one ``ServiceClient`` per service, so Patchwork and
lore get the same politeness and the same failure handling.

- Timeouts, retries (5xx, 429 honouring ``Retry-After``, connection errors; GET only), the
  ``User-Agent`` both services ask for and a log line per call: the shared session
  (``shared.http_client``); what still fails raises ``ServiceUnavailableError``.
- Rate limit: at most ``rate_limit`` calls (``limits``, a moving window) per client; a call
  that would exceed it waits.
- Circuit breaker: checked before each call (``CircuitOpenError``, no call made) and told each
  outcome; only failures of the service (after retries) count, a 4xx does not.
- Observation: each call (with its retries) goes to ``observe`` with its latency and outcome,
  where the per-service API metrics come from.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from limits import parse, storage, strategies

from chalicelib.patches.exceptions import RequestRejectedError, ServiceUnavailableError
from chalicelib.patches.names import USER_AGENT
from shared import http_client
from shared.http_client import RETRYABLE_STATUSES


def retrying_session(attempts: int = 4, backoff_seconds: float = 0.5) -> requests.Session:
    """The shared session with this project's User-Agent (GET only, the default timeouts)."""
    return http_client.retrying_session(
        USER_AGENT, attempts=attempts, backoff_seconds=backoff_seconds
    )


@dataclass(frozen=True)
class ApiCall:
    """One call as the caller saw it: retries included in ``seconds``; ``status`` is None
    when no answer came (connection errors)."""

    service: str
    seconds: float
    status: int | None

    @property
    def failed(self) -> bool:
        """The service failed us: no answer, or a 5xx/429 after retries."""
        return self.status is None or self.status in RETRYABLE_STATUSES


class Breaker(Protocol):
    """What a client needs of a circuit breaker (``breaker.CircuitBreaker``)."""

    def allow(self) -> None: ...

    def record_success(self) -> None: ...

    def record_failure(self) -> None: ...


class ServiceClient:
    def __init__(
        self,
        service: str,
        base_url: str,
        breaker: Breaker | None = None,
        session: requests.Session | None = None,
        rate_limit: str = "5/second",
        observe: Callable[[ApiCall], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self._breaker = breaker
        self._session = session or retrying_session()
        self._limit = parse(rate_limit)
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._observe = observe
        self._sleep = sleep
        self.calls = 0

    def __repr__(self) -> str:
        return f"ServiceClient({self.service!r}, {self.base_url!r})"

    def _wait_for_rate_limit(self) -> None:
        while not self._limiter.hit(self._limit, self.service):
            reset = self._limiter.get_window_stats(self._limit, self.service).reset_time
            self._sleep(max(reset - time.time(), 0.01))

    def get(self, url: str, params: dict[str, Any] | None = None) -> requests.Response:
        """GET ``url`` (absolute, or a path under the base URL). Returns any 2xx or 404 (the
        caller decides what a missing resource means).

        Raises:
            CircuitOpenError: the breaker is open; nothing was sent.
            ServiceUnavailableError: 5xx/429/network failure after retries.
            RequestRejectedError: any other 4xx.
        """
        if self._breaker is not None:
            self._breaker.allow()
        self._wait_for_rate_limit()
        self.calls += 1
        target = url if url.startswith(("http://", "https://")) else f"{self.base_url}{url}"
        started = time.perf_counter()
        try:
            response = self._session.get(target, params=params)
        except requests.RequestException as err:
            self._outcome(ApiCall(self.service, time.perf_counter() - started, None))
            raise ServiceUnavailableError(self.service, f"GET {target} failed: {err}") from err
        call = ApiCall(self.service, time.perf_counter() - started, response.status_code)
        self._outcome(call)
        if call.failed:
            raise ServiceUnavailableError(
                self.service, f"GET {target} still answered {response.status_code} after retries"
            )
        if 400 <= response.status_code < 500 and response.status_code != 404:
            raise RequestRejectedError(
                self.service,
                f"GET {target} was rejected ({response.status_code}): {response.text[:200]}",
            )
        return response

    def _outcome(self, call: ApiCall) -> None:
        if self._observe is not None:
            self._observe(call)
        if self._breaker is None:
            return
        if call.failed:
            self._breaker.record_failure()
        else:
            self._breaker.record_success()
