"""The EMF metrics every patches function shares: per-service API calls, latency and errors
(from the clients' ``observe`` callback) and each breaker's state as the run last saw it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.patches.breaker import CLOSED, CircuitBreaker
from chalicelib.patches.names import service_metric
from chalicelib.patches.transport import ApiCall


def observe_api_calls(metrics: Metrics) -> Callable[[ApiCall], None]:
    """``PatchworkApiCalls``/``ApiLatency``/``ApiErrors`` (and ``Lore...``) per call."""

    def observe(call: ApiCall) -> None:
        metrics.add_metric(service_metric(call.service, "ApiCalls"), MetricUnit.Count, 1)
        metrics.add_metric(
            service_metric(call.service, "ApiLatency"),
            MetricUnit.Milliseconds,
            round(call.seconds * 1000, 1),
        )
        metrics.add_metric(
            service_metric(call.service, "ApiErrors"), MetricUnit.Count, 1 if call.failed else 0
        )

    return observe


def record_breakers(metrics: Metrics, breakers: Iterable[CircuitBreaker]) -> None:
    """``PatchworkBreakerOpen`` (``Lore...``): 1 when the run last saw the breaker open or
    half-open, else 0 (the breaker alarm watches the maximum)."""
    for breaker in breakers:
        metrics.add_metric(
            service_metric(breaker.service, "BreakerOpen"),
            MetricUnit.Count,
            0 if breaker.last_state == CLOSED else 1,
        )
