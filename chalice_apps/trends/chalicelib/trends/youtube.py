"""The YouTube Data API v3 client (``../shared/specs/trends.md``): ``videos.list
chart=mostPopular`` per region and category, page after page by ``nextPageToken``, and
``videoCategories.list``.

- Reads are authorised by an API key (``ApiKey``), which travels in the ``X-Goog-Api-Key``
  header, never in a URL, so no log line or error message can carry it; what needs a
  person's consent (uploads) by OAuth2 refresh-token credentials (``OAuthCredentials``,
  google-auth), whose access token is renewed before it expires and once after a 401.
- Every attempt is counted by the quota keeper before it is sent (YouTube charges failed
  calls too); a call the day's budget cannot pay for is never sent.
- Retries with exponential backoff and jitter on 5xx, 429, ``rateLimitExceeded``,
  ``userRateLimitExceeded`` and network errors, honouring ``Retry-After``; never on
  ``quotaExceeded`` (it lasts until midnight Pacific: ``QuotaExceededError`` at once).
- Each call (with its retries) goes to ``observe`` with its latency and outcome.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

import requests

from chalicelib.trends.exceptions import (
    ChartNotFoundError,
    QuotaExceededError,
    RequestRejectedError,
    YouTubeUnavailableError,
)
from chalicelib.trends.quota import QuotaKeeper
from chalicelib.trends.videos import ChartPage, VideoCategory, chart_page

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

DEFAULT_URL: Final = "https://www.googleapis.com/youtube/v3"
# (connect, read) seconds: far under the function's timeout.
TIMEOUTS: Final = (5.0, 20.0)
USER_AGENT: Final = "serverless-fleet-trends/1.0 (python-requests)"
# YouTube's ``errors[].reason`` values, by what a caller does about them.
QUOTA_REASONS: Final = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS: Final = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
CHART_NOT_FOUND: Final = "videoChartNotFound"
# A Retry-After longer than this is not waited for inside an invocation.
MAX_WAIT_SECONDS: Final = 30.0


@dataclass(frozen=True)
class ApiCall:
    """One call as the caller saw it: retries included in ``seconds`` and ``attempts``;
    ``status`` is None when no answer came."""

    method: str
    seconds: float
    attempts: int
    status: int | None
    reason: str | None = None

    @property
    def failed(self) -> bool:
        """YouTube failed us (not: it refused our request)."""
        return self.status is None or self.status >= 500 or self.reason in RATE_REASONS


class Auth(Protocol):
    """How a call proves who makes it."""

    def headers(self) -> dict[str, str]:
        """The headers of the next call."""
        ...

    def refresh(self) -> bool:
        """After a 401: renew what can be renewed; False when nothing can."""
        ...


@dataclass(frozen=True)
class ApiKey:
    key: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {"X-Goog-Api-Key": self.key}

    def refresh(self) -> bool:
        return False  # a key is what it is


class OAuthCredentials:
    """OAuth2 refresh-token credentials (google-auth's ``Credentials``): the access token is
    obtained from the token endpoint when missing or about to expire, and again once when
    YouTube answers 401 (revoked early).

    Raises (from ``headers`` and ``refresh``):
        RequestRejectedError: the token endpoint refused the grant (``invalid_grant``: the
            refresh token was revoked or expired; an operator must issue a new one).
        YouTubeUnavailableError: the token endpoint could not be reached.
    """

    def __init__(self, credentials: Credentials, session: requests.Session | None = None) -> None:
        self._credentials = credentials
        self._session = session or requests.Session()

    def __repr__(self) -> str:  # never a token
        return "OAuthCredentials()"

    def headers(self) -> dict[str, str]:
        if not self._credentials.valid:
            self.refresh()
        return {"Authorization": f"Bearer {self._credentials.token}"}

    def refresh(self) -> bool:
        from google.auth.exceptions import RefreshError, TransportError
        from google.auth.transport.requests import Request

        try:
            self._credentials.refresh(Request(self._session))  # type: ignore[no-untyped-call]
        except RefreshError as err:
            raise RequestRejectedError(f"the OAuth token endpoint refused: {err}") from err
        except TransportError as err:
            raise YouTubeUnavailableError(f"the OAuth token endpoint failed: {err}") from err
        return True


def error_reason(response: requests.Response) -> tuple[str | None, str]:
    """The first ``errors[].reason`` of a Google API error and its message (the body may be
    anything on a proxy's 5xx)."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, response.text[:200]
    errors = error.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    reason = first.get("reason") if isinstance(first, dict) else None
    return (str(reason) if reason else None), str(error.get("message", ""))[:300]


def refuse_for_good(method: str, status: int, reason: str | None, message: str) -> None:
    """Raise for an answer no retry can change; return for one worth retrying (5xx, 429,
    the rate limits).

    Raises:
        QuotaExceededError: ``quotaExceeded`` or ``dailyLimitExceeded``.
        ChartNotFoundError: ``videoChartNotFound``.
        RequestRejectedError: any other 4xx.
    """
    if reason in QUOTA_REASONS:
        raise QuotaExceededError(
            f"YouTube's quota is spent until midnight Pacific ({method}: {message})",
            status,
            reason,
        )
    if status >= 500 or status == 429 or reason in RATE_REASONS:
        return
    if reason == CHART_NOT_FOUND:
        raise ChartNotFoundError(f"{method}: no such chart ({message})", status, reason)
    raise RequestRejectedError(
        f"{method} was rejected ({status} {reason}): {message}", status, reason
    )


def retry_after(response: requests.Response) -> float | None:
    """The seconds a ``Retry-After`` header asks for, if it gives a number."""
    value = response.headers.get("Retry-After")
    try:
        return max(float(str(value)), 0.0) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a call gets and how long to wait between them: exponential backoff
    with jitter (half of each wait random), or what the server asked; capped either way."""

    max_attempts: int = 4
    backoff_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def wait(self, attempt: int, asked: float | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if asked is not None:
            return min(asked, MAX_WAIT_SECONDS)
        ceiling = self.backoff_seconds * 2.0 ** (attempt - 1)
        return min(ceiling / 2 + random.uniform(0, ceiling / 2), MAX_WAIT_SECONDS)

    def pause(self, attempt: int, asked: float | None = None) -> None:
        self.sleep(self.wait(attempt, asked))


@dataclass
class Attempts:
    """What the attempts of one call saw so far; kept by the caller, so it can report them
    (``ApiCall``) when the call raises too."""

    count: int = 0
    status: int | None = None
    reason: str | None = None
    message: str = ""


def send_with_retries(
    method: str,
    send: Callable[[dict[str, str]], requests.Response],
    *,
    auth: Auth,
    policy: RetryPolicy,
    accepted: Container[int],
    before_each: Callable[[], object] = lambda: None,
    attempts: Attempts | None = None,
) -> requests.Response:
    """Send one call until YouTube answers a status of ``accepted``: ``send`` makes one
    attempt with the auth headers it is given; ``before_each`` runs before every attempt
    (the quota keeper pays for it). A 401 renews the auth once; 5xx, 429, the rate limits
    and network errors are retried (``policy``); anything else raises at once.

    Raises:
        QuotaExceededError, ChartNotFoundError, RequestRejectedError: see
            ``refuse_for_good``.
        YouTubeUnavailableError: 5xx, rate limits or network errors after the retries.
        Whatever ``before_each`` raises (QuotaBudgetExceededError: the attempt is not sent).
    """
    tally = attempts if attempts is not None else Attempts()
    renewed = False
    while tally.count < policy.max_attempts:
        tally.count += 1
        headers = auth.headers()
        before_each()
        asked: float | None = None
        try:
            response = send(headers)
        except requests.RequestException as err:
            tally.status, tally.reason, tally.message = None, None, type(err).__name__
        else:
            tally.status = response.status_code
            if response.status_code in accepted:
                tally.reason = None
                return response
            tally.reason, tally.message = error_reason(response)
            if response.status_code == 401 and not renewed and auth.refresh():
                renewed = True  # an access token revoked early: renewed, once
                continue
            refuse_for_good(method, response.status_code, tally.reason, tally.message)
            asked = retry_after(response)
        if tally.count < policy.max_attempts:
            policy.pause(tally.count, asked)
    raise YouTubeUnavailableError(
        f"{method} failed after {tally.count} attempts ({tally.status} {tally.reason}): "
        f"{tally.message}",
        tally.status,
        tally.reason,
    )


class YouTubeClient:
    def __init__(
        self,
        auth: Auth,
        quota: QuotaKeeper,
        *,
        base_url: str = DEFAULT_URL,
        session: requests.Session | None = None,
        max_attempts: int = 4,
        backoff_seconds: float = 1.0,
        observe: Callable[[ApiCall], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._auth = auth
        self.quota = quota
        self.base_url = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._retry = RetryPolicy(max_attempts, backoff_seconds, sleep)
        self._observe = observe

    def __repr__(self) -> str:  # never the key
        return f"YouTubeClient({self.base_url!r})"

    def most_popular(
        self, region: str, category_id: str, *, page_size: int = 50, max_pages: int = 4
    ) -> Iterator[ChartPage]:
        """The mostPopular chart of ``region`` and ``category_id``, one page per call, up to
        ``max_pages`` pages.

        Raises:
            ChartNotFoundError: YouTube keeps no such chart.
            QuotaStopError: the budget or YouTube's quota stops the run; the pages yielded
                before stay yielded.
            YouTubeUnavailableError, RequestRejectedError: see ``_get``.
        """
        params: dict[str, Any] = {
            "part": "snippet,statistics,contentDetails",
            "chart": "mostPopular",
            "regionCode": region,
            "videoCategoryId": category_id,
            "maxResults": page_size,
        }
        token: str | None = None
        for _ in range(max_pages):
            page = chart_page(
                self._get(
                    "videos.list", "/videos", params | ({"pageToken": token} if token else {})
                )
            )
            yield page
            token = page.next_page_token
            if token is None:
                return

    def video_categories(self, region: str) -> list[VideoCategory]:
        """Every video category of ``region``, by id (titles repeat)."""
        body = self._get(
            "videoCategories.list", "/videoCategories", {"part": "snippet", "regionCode": region}
        )
        return [VideoCategory.from_api(item) for item in body.get("items") or []]

    def _get(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """One API call with its retries, each attempt paid for first.

        Raises:
            QuotaBudgetExceededError: the next attempt would overspend today's budget.
            QuotaExceededError: YouTube says the project's quota is spent (not retried).
            ChartNotFoundError: ``videoChartNotFound``.
            YouTubeUnavailableError: 5xx, rate limits or network errors after the retries.
            RequestRejectedError: any other 4xx (a bad key, a bad parameter).
        """
        url = f"{self.base_url}{path}"
        started = time.perf_counter()
        tally = Attempts()
        try:
            response = send_with_retries(
                method,
                lambda headers: self._session.get(
                    url,
                    params=params,
                    headers={**headers, "User-Agent": USER_AGENT},
                    timeout=TIMEOUTS,
                ),
                auth=self._auth,
                policy=self._retry,
                accepted={200},
                before_each=lambda: self.quota.spend(method),
                attempts=tally,
            )
            try:
                body: dict[str, Any] = response.json()
            except ValueError as err:
                raise YouTubeUnavailableError(
                    f"{method} answered 200 without JSON", response.status_code
                ) from err
            return body
        finally:
            if self._observe is not None and tally.count:
                self._observe(
                    ApiCall(
                        method,
                        time.perf_counter() - started,
                        tally.count,
                        tally.status,
                        tally.reason,
                    )
                )
