"""Metrics read from the functions' logs, as CloudWatch derives them from log groups.

Each function of the local stack logs to ``<log dir>/<function>.log``, which stands for its
log group ``/aws/lambda/<function>``. Three kinds of line become data points:

- Lambda's ``platform.report`` line, written once per invocation by whatever ran it (the
  Lambda service, an SQS worker): the ``AWS/Lambda`` metrics ``Invocations``, ``Errors`` and
  ``Duration`` with the dimension ``FunctionName``, as Lambda publishes them;
- an embedded metric format (EMF) document (``_aws.CloudWatchMetrics``), as powertools'
  Metrics prints it: one point per metric value and dimension set;
- a line matching a metric filter of the log group: the filter's metric, with its value.
  Filter patterns: terms (quoted or bare; all must appear), ``?term`` (any of them) and
  ``-term`` (none of them); JSON (``{ ... }``) and space-delimited (``[ ... ]``) patterns are
  not evaluated locally. ``defaultValue`` is not emitted for lines that do not match: the
  difference shows only in alarms on ``Average`` or ``SampleCount`` of a filter's metric.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.services.cloudwatch.metrics import DataPoint, MetricKey

LAMBDA_LOG_GROUP_PREFIX = "/aws/lambda/"
PLATFORM_REPORT = "platform.report"
# platform.report's statuses; anything but success counts in Lambda's Errors metric.
SUCCESS, ERROR, TIMEOUT = "success", "error", "timeout"


def platform_report(
    request_id: str, status: str, duration_ms: float, error_type: str | None = None
) -> str:
    """The line Lambda writes to a function's log after each invocation (its JSON log
    format), which the local stack reads back for the function's ``AWS/Lambda`` metrics."""
    record: dict[str, Any] = {
        "requestId": request_id,
        "status": status,
        "metrics": {"durationMs": round(duration_ms, 2)},
    }
    if error_type:
        record["errorType"] = error_type
    time = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"time": time, "type": PLATFORM_REPORT, "record": record})


def lambda_points(function: str, document: dict[str, Any], now: float) -> list[DataPoint]:
    """``Invocations``, ``Errors`` and ``Duration`` of one ``platform.report`` document."""
    if document.get("type") != PLATFORM_REPORT or not isinstance(document.get("record"), dict):
        return []
    record = document["record"]
    dimensions = {"FunctionName": function}
    points = [
        DataPoint(MetricKey.of("AWS/Lambda", "Invocations", dimensions), 1.0, now),
        DataPoint(
            MetricKey.of("AWS/Lambda", "Errors", dimensions),
            0.0 if record.get("status") == SUCCESS else 1.0,
            now,
        ),
    ]
    duration = (record.get("metrics") or {}).get("durationMs")
    if isinstance(duration, int | float):
        points.append(
            DataPoint(MetricKey.of("AWS/Lambda", "Duration", dimensions), float(duration), now)
        )
    return points


def emf_points(document: dict[str, Any], now: float) -> list[DataPoint]:
    """The data points of one EMF document (none if it is not one). A dimension set naming
    a key the document lacks is invalid, and skipped, as CloudWatch skips it."""
    metadata = document.get("_aws")
    if not isinstance(metadata, dict):
        return []
    timestamp = metadata.get("Timestamp")
    at = timestamp / 1000 if isinstance(timestamp, int | float) else now
    points: list[DataPoint] = []
    for directive in metadata.get("CloudWatchMetrics") or []:
        namespace = str(directive.get("Namespace", ""))
        for dimension_set in directive.get("Dimensions") or [[]]:
            if not all(name in document for name in dimension_set):
                continue
            dimensions = {name: str(document[name]) for name in dimension_set}
            for metric in directive.get("Metrics") or []:
                raw = document.get(metric.get("Name"))
                values = raw if isinstance(raw, list) else [raw]
                key = MetricKey.of(namespace, str(metric["Name"]), dimensions)
                points.extend(
                    DataPoint(key, float(v), at)
                    for v in values
                    if isinstance(v, int | float) and not isinstance(v, bool)
                )
    return points


def compile_pattern(pattern: str) -> Callable[[str], bool] | None:
    """A matcher for a CloudWatch Logs filter pattern on unstructured text, or None when
    the pattern is of a kind not evaluated locally (JSON, space-delimited, unbalanced)."""
    text = pattern.strip()
    if text.startswith(("{", "[")):
        return None
    try:
        terms = shlex.split(text)
    except ValueError:
        return None
    required = [t for t in terms if not t.startswith(("?", "-"))]
    optional = [t[1:] for t in terms if t.startswith("?")]
    excluded = [t[1:] for t in terms if t.startswith("-")]

    def matches(line: str) -> bool:
        return (
            all(t in line for t in required)
            and (not optional or any(t in line for t in optional))
            and not any(t in line for t in excluded)
        )

    return matches


def _number(text: str) -> float | None:
    """A filter's fixed metric value; None for one read from the event (``$.field``)."""
    try:
        return float(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class MetricFilter:
    """One metric filter as CloudWatch Logs describes it, ready to match lines."""

    name: str
    log_group: str
    matches: Callable[[str], bool]
    key: MetricKey
    value: float


def metric_filters(described: list[dict[str, Any]]) -> tuple[list[MetricFilter], list[str]]:
    """The filters (``DescribeMetricFilters``' shape) that can be evaluated here, and the
    names of those that cannot (their pattern, or a value read from the event)."""
    usable, skipped = [], []
    for item in described:
        matcher = compile_pattern(str(item.get("filterPattern", "")))
        for transformation in item.get("metricTransformations") or []:
            value = _number(str(transformation["metricValue"]))
            if matcher is None or value is None:
                skipped.append(str(item["filterName"]))
                continue
            dimensions = transformation.get("dimensions") or {}
            key = MetricKey.of(
                transformation["metricNamespace"], transformation["metricName"], dimensions
            )
            usable.append(
                MetricFilter(item["filterName"], item["logGroupName"], matcher, key, value)
            )
    return usable, skipped


def line_points(
    function: str, line: str, filters: list[MetricFilter], now: float
) -> list[DataPoint]:
    """What one line of a function's log adds: Lambda's metrics, EMF metrics, and a point
    for each of the log group's filters that match it."""
    group = LAMBDA_LOG_GROUP_PREFIX + function
    points = [
        DataPoint(f.key, f.value, now) for f in filters if f.log_group == group and f.matches(line)
    ]
    if line.startswith("{"):
        try:
            document = json.loads(line)
        except ValueError:
            return points
        if isinstance(document, dict):
            points += lambda_points(function, document, now) + emf_points(document, now)
    return points


class LogTail:
    """The lines appended to the functions' log files since the last read. What a file held
    when the tail started (an earlier run's lines) is never read; a file created later, or
    emptied by hand, is read from its start. A line still being written waits for its
    newline."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._offsets = {path: path.stat().st_size for path in log_dir.glob("*.log")}
        self._partial: dict[Path, bytes] = {}

    def read(self) -> dict[str, list[str]]:
        """New complete lines by function name (the file's name)."""
        lines: dict[str, list[str]] = {}
        for path in sorted(self.log_dir.glob("*.log")):
            offset = self._offsets.get(path, 0)
            if path.stat().st_size < offset:
                offset = 0
                self._partial.pop(path, None)
            with path.open("rb") as log:
                log.seek(offset)
                chunk = self._partial.pop(path, b"") + log.read()
                self._offsets[path] = log.tell()
            complete, _, rest = chunk.rpartition(b"\n")
            if rest:
                self._partial[path] = rest
            if complete:
                text = complete.decode("utf-8", errors="replace")
                lines[path.stem] = text.split("\n")
        return lines
