"""The local stack's metric data points, kept in memory as CloudWatch keeps them: a metric is
its namespace, name and full set of dimensions, and an alarm reads statistics of the points
that fall in a time window.

Every point comes from something the stack observes (a function's log line, a queue's depth,
``log_metrics.py`` and ``alarm_watch.py``); nothing here knows where.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


@dataclass(frozen=True)
class MetricKey:
    """One CloudWatch metric: dimensions are part of its identity, so a point with
    ``{"service": "x"}`` is a different metric from one without dimensions."""

    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(
        cls, namespace: str, name: str, dimensions: Mapping[str, str] | None = None
    ) -> MetricKey:
        return cls(namespace, name, frozenset((dimensions or {}).items()))


@dataclass(frozen=True)
class DataPoint:
    key: MetricKey
    value: float
    timestamp: float  # seconds since the epoch


def statistic(values: list[float], name: str) -> float:
    """CloudWatch's statistic of the values of one period: one of ``STATISTICS`` or a
    percentile ``pNN`` (nearest rank).

    Raises:
        ValueError: no values (a period without data has no statistic), or an unknown name.
    """
    if not values:
        raise ValueError("no data points")
    match name:
        case "SampleCount":
            return float(len(values))
        case "Average":
            return sum(values) / len(values)
        case "Sum":
            return sum(values)
        case "Minimum":
            return min(values)
        case "Maximum":
            return max(values)
    if name.startswith("p"):
        try:
            percent = float(name[1:])
        except ValueError:
            percent = -1.0
        if 0 <= percent <= 100:
            ordered = sorted(values)
            rank = max(1, math.ceil(percent / 100 * len(ordered)))
            return ordered[rank - 1]
    raise ValueError(f"unknown statistic {name!r}")


class MetricStore:
    """Points per metric, in time order; safe to use from the watcher's thread and others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[MetricKey, list[float]] = {}
        self._values: dict[MetricKey, list[float]] = {}

    def put(self, points: Iterable[DataPoint]) -> None:
        with self._lock:
            for point in points:
                times = self._times.setdefault(point.key, [])
                values = self._values.setdefault(point.key, [])
                at = bisect.bisect_right(times, point.timestamp)
                times.insert(at, point.timestamp)
                values.insert(at, point.value)

    def values(self, key: MetricKey, start: float, end: float) -> list[float]:
        """The values with ``start < timestamp <= end``: a window ending now holds what was
        sampled now."""
        with self._lock:
            times = self._times.get(key, [])
            low, high = bisect.bisect_right(times, start), bisect.bisect_right(times, end)
            return self._values.get(key, [])[low:high]

    def prune(self, keep_since: Mapping[MetricKey, float], others_since: float) -> None:
        """Drop points no alarm can read any more: for each metric in ``keep_since``, those
        before its time; for every other metric, those before ``others_since``."""
        with self._lock:
            for key, times in self._times.items():
                cut = bisect.bisect_left(times, keep_since.get(key, others_since))
                del times[:cut]
                del self._values[key][:cut]
