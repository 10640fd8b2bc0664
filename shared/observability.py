"""Structured logging for every function, through aws-lambda-powertools.

The service name and level come from the environment the Pulumi program sets
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_LOG_LEVEL``), so one call serves every app.

A module's ``log = logger(...)`` runs at import, on every cold start, and importing
powertools costs about 25 ms (it loads its Logger, Metrics and Tracer): the Logger is
therefore built on its first use, so a function whose import path logs nothing (an API
handler, before its first request) pays for powertools only when it logs.
"""

from __future__ import annotations

import logging
import sys
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


class _CurrentStdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is when a record is emitted.

    A plain StreamHandler keeps the stream it was created with; a logger created at import
    time would then keep writing to a stream that was since replaced (and maybe closed).
    """

    @property
    def stream(self) -> object:
        return sys.stdout

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class _LoggerOnFirstUse:
    """Stands in for a powertools ``Logger``, building it when an attribute is first asked
    for (``log.info``, ``log.append_keys``...), then handing everything to it."""

    def __init__(self, service: str) -> None:
        self._service = service

    @cached_property
    def _logger(self) -> Logger:
        from aws_lambda_powertools import Logger  # the point of this class: see the module

        return Logger(service=self._service, logger_handler=_CurrentStdoutHandler())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


@cache
def logger(service: str) -> Logger:
    """The JSON logger of one service; cached so repeated calls share handlers."""
    return cast("Logger", _LoggerOnFirstUse(service))
