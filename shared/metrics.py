"""A handler's EMF metrics, flushed however it ends.

A powertools ``Metrics`` only writes its buffer on ``flush_metrics()``; a handler that
forgets it (or returns early, or raises) loses the run's metrics, and the alarms that read
them go quiet. ``with_metrics`` owns the flush, so a handler cannot forget it. Powertools'
own ``log_metrics`` wants ``(event, context)`` and a Metrics built at import; Chalice's
schedule and queue handlers take the event alone, and a Metrics built at import would make
every API cold start pay for powertools.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

P = ParamSpec("P")
R = TypeVar("R")


def with_metrics(
    factory: Callable[[], Metrics],
) -> Callable[[Callable[Concatenate[Metrics, P], R]], Callable[P, R]]:
    """Decorate a handler so each invocation gets a fresh ``factory()`` as its first
    argument, flushed when the handler returns or raises (the error still propagates)."""

    def decorate(handler: Callable[Concatenate[Metrics, P], R]) -> Callable[P, R]:
        @functools.wraps(handler)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            metrics = factory()
            try:
                return handler(metrics, *args, **kwargs)
            finally:
                metrics.flush_metrics()

        return run

    return decorate
