"""The ``requests`` session every client of an outside API starts from, so each is equally
polite and equally observed:

- retries (urllib3's ``Retry`` on the adapter): 429 and 5xx answers and connection errors,
  with exponential backoff and jitter, honouring ``Retry-After``; after the last attempt
  the last answer is returned (not raised), so the caller maps it to its own error;
- a default timeout on every request that does not set one (requests has none: a silent
  server would otherwise hold the function until Lambda kills it);
- a ``User-Agent`` naming this project (several services ask for one);
- one log line per call (retries included): method, host, status and latency in ms. Never
  the path's query string or any header, so no key or token reaches the logs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shared.observability import logger

if TYPE_CHECKING:
    import requests
    from aws_lambda_powertools import Logger
    from requests.adapters import HTTPAdapter

RETRYABLE_STATUSES = (429, 500, 502, 503, 504)
# (connect, read) seconds, well under the functions' timeouts.
DEFAULT_TIMEOUT = (5.0, 30.0)
LOGGER_SERVICE = "outside-api"

Timeout = float | tuple[float, float]


@cache
def _default_timeout_adapter() -> Callable[..., HTTPAdapter]:
    """An adapter type that gives a request without a timeout the session's default.

    Built on first use: every zip ships ``shared/``, and an app that calls no outside API
    ships without ``requests``.
    """
    from requests.adapters import HTTPAdapter

    class DefaultTimeoutAdapter(HTTPAdapter):
        def __init__(self, timeout: Timeout, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._timeout = timeout

        def send(
            self,
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: float | tuple[float, float] | tuple[float, None] | None = None,
            verify: bool | str = True,
            cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
            proxies: Mapping[str, str] | None = None,
        ) -> requests.Response:
            return super().send(
                request,
                stream=stream,
                timeout=self._timeout if timeout is None else timeout,
                verify=verify,
                cert=cert,
                proxies=proxies,
            )

    return DefaultTimeoutAdapter


def retrying_session(
    user_agent: str,
    *,
    attempts: int = 4,
    backoff_seconds: float = 0.5,
    methods: Collection[str] = ("GET",),
    timeout: Timeout = DEFAULT_TIMEOUT,
    log: Logger | None = None,
) -> requests.Session:
    """A session for one outside API.

    ``attempts`` counts the first try; only ``methods`` are retried (list idempotent ones,
    or ones the API makes safe to repeat). ``log`` defaults to the ``outside-api`` logger.
    """
    import requests
    from urllib3.util.retry import Retry

    retry = Retry(
        total=attempts - 1,
        backoff_factor=backoff_seconds,
        backoff_jitter=backoff_seconds / 2,
        status_forcelist=RETRYABLE_STATUSES,
        allowed_methods=frozenset(m.upper() for m in methods),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = _default_timeout_adapter()(timeout, max_retries=retry)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    session.hooks["response"].append(_call_logger(log or logger(LOGGER_SERVICE)))
    return session


def _call_logger(log: Logger) -> Any:
    def log_call(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        log.info(
            "outside API call",
            extra={
                "method": response.request.method,
                "host": urlsplit(response.url or "").hostname,
                "status": response.status_code,
                # Session.send times the adapter's send, so this includes the retries.
                "latency_ms": round(response.elapsed.total_seconds() * 1000, 1),
            },
        )

    return log_call
