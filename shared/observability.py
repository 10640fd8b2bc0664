"""Structured logging for every function, through aws-lambda-powertools.

The service name and level come from the environment the Pulumi program sets
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_LOG_LEVEL``), so one call serves every app.
"""

from __future__ import annotations

import logging
import sys
from functools import cache

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


@cache
def logger(service: str) -> Logger:
    """The JSON logger of one service; cached so repeated calls share handlers."""
    return Logger(service=service, logger_handler=_CurrentStdoutHandler())
