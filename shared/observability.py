"""Structured logging for every function, through aws-lambda-powertools.

The service name and level come from the environment the Pulumi program sets
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_LOG_LEVEL``), so one call serves every app.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger


@cache
def logger(service: str) -> Logger:
    """The JSON logger of one service; cached so repeated calls share handlers."""
    return Logger(service=service)
