"""Whether a failed HTTP call to a provider may have taken effect: the question a send must
answer before it is repeated.

A request can fail at two moments. Before the connection exists (the name did not resolve,
the port refused, the connect timed out), nothing was written: sending again is safe. After
it exists, any failure (a reset, a broken pipe, the server closing without an answer, a read
timeout, a body cut short, a 5xx that is not the provider's own error) may come after the
provider acted on the request: the message may be out, and only the provider can say.

The exception types are those requests raises (Twilio's SDK and the SendGrid sender both use
it) and what they wrap: urllib3's ``NewConnectionError``/``ConnectTimeoutError`` (connect
phase) against its ``ProtocolError``/``ReadTimeoutError``, and http.client's
``RemoteDisconnected``/``IncompleteRead`` and the socket's ``ConnectionResetError``/
``BrokenPipeError``. A TLS error counts as "may have gone out": urllib3 reports a failed
handshake and a failure mid-answer alike.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import requests
import urllib3.exceptions


class UnexplainedServerError(Exception):
    """A 5xx without the provider's own error body (an empty answer, a gateway's page): it
    came from something between us and the provider, which may have passed the request on.
    A 5xx the provider explains in its error body is its refusal, safe to retry."""

    def __init__(self, provider: str, status: int) -> None:
        super().__init__(f"{provider} answered {status} without its error body")
        self.status = status


# Raised before a byte of the request is written.
_CONNECT_PHASE = (
    urllib3.exceptions.NewConnectionError,  # refused, unreachable, name not resolved
    urllib3.exceptions.ConnectTimeoutError,
    requests.ConnectTimeout,
    ConnectionRefusedError,
)
# Raised once the connection exists: while writing, waiting for or reading the answer.
_AFTER_CONNECT = (
    UnexplainedServerError,
    requests.ConnectionError,  # a ProtocolError: reset, broken pipe, closed without answer
    requests.Timeout,  # a read timeout (a connect timeout is caught above)
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    ConnectionError,  # reset, aborted, broken pipe, when not wrapped
    TimeoutError,
)


def _causes(err: BaseException) -> Iterator[BaseException]:
    """``err`` and everything it wraps: ``__cause__``/``__context__``, exceptions among its
    arguments (requests wraps urllib3's error so), and urllib3's ``MaxRetryError.reason``."""
    seen: set[int] = set()
    pending = [err]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [current.__cause__, current.__context__, *current.args]
        if isinstance(current, urllib3.exceptions.MaxRetryError):
            wrapped.append(current.reason)
        pending.extend(e for e in wrapped if isinstance(e, BaseException))


def never_sent(err: BaseException) -> bool:
    """The call failed while connecting: nothing reached the provider, sending again is
    safe."""
    return any(isinstance(cause, _CONNECT_PHASE) for cause in _causes(err))


def may_have_gone_out(err: BaseException) -> bool:
    """The call failed after the connection existed: the provider may have acted on it, and
    it must be asked before anything is sent again. False for a connect failure and for an
    answer the provider gave (its refusals are not transport failures)."""
    return not never_sent(err) and isinstance(err, _AFTER_CONNECT)
