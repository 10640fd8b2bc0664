"""CloudWatch metric alarms, evaluated locally: which state an alarm is in, and why, given the
data points the local stack has seen (``metrics.py``).

An alarm is read from ``DescribeAlarms`` (the alarms the Pulumi program declares, created in
moto by ``MotoMocks``): a metric with a statistic, or metric math over several metrics
(``+ - * /``, numbers and the queries' ids; a division by zero, or a query without data,
has no value, as in CloudWatch). Anomaly-detection alarms and other math are not evaluated.

Each second the last ``EvaluationPeriods`` windows of one period each, ending now, are
evaluated: the alarm is ``ALARM`` when at least ``DatapointsToAlarm`` of them breach, with
a window without data treated as ``TreatMissingData`` says. Two local differences:

- periods pass ``speedup`` times faster (a five-minute period is a 5 s window by default),
  so an alarm returns to OK in seconds once its cause is gone. An alarm whose missing data is
  breaching (nothing happened: "no successful run in 6 hours") keeps its real periods, since
  what should happen (a schedule) runs at its real pace locally too;
- a window that began before the stack started and holds no data is unknown, not missing:
  the stack has no history, and a fresh stack must not raise every "nothing happened" alarm.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devstack.services.cloudwatch.metrics import MetricKey, MetricStore, statistic

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
# A window this short still holds a queue depth sample or two (they are taken every second).
MIN_LOCAL_PERIOD = 2.0
DEFAULT_SPEEDUP = 60.0

_COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class UnsupportedAlarmError(ValueError):
    """An alarm this local evaluator cannot evaluate (the reason is the message)."""


@dataclass(frozen=True)
class MetricStat:
    key: MetricKey
    stat: str


@dataclass(frozen=True)
class Alarm:
    """One alarm: its queries by id (a metric's statistic, or an expression over other
    ids) and the id whose value is compared with the threshold."""

    name: str
    queries: dict[str, MetricStat | ast.expr]
    result: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str
    # As DescribeAlarms returned it: what the notification's ``Trigger`` and actions say.
    described: dict[str, Any]

    def actions(self, state: str) -> list[str]:
        """The topics notified when the alarm enters ``state``."""
        if not self.described.get("ActionsEnabled", True):
            return []
        field = {OK: "OKActions", ALARM: "AlarmActions"}.get(state, "InsufficientDataActions")
        return list(self.described.get(field) or [])

    def metric_keys(self) -> list[MetricKey]:
        return [q.key for q in self.queries.values() if isinstance(q, MetricStat)]

    def value(self, store: MetricStore, start: float, end: float) -> float | None:
        """The compared value over one window; None when it has no data (or no value)."""
        return self._value(self.result, store, start, end)

    def _value(self, query_id: str, store: MetricStore, start: float, end: float) -> float | None:
        query = self.queries[query_id]
        if isinstance(query, MetricStat):
            values = store.values(query.key, start, end)
            return statistic(values, query.stat) if values else None
        return _calculate(query, lambda name: self._value(name, store, start, end))


def _dimensions(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in items or []}


def _checked_stat(name: str) -> str:
    try:
        statistic([0.0], name)
    except ValueError as err:
        raise UnsupportedAlarmError(str(err)) from None
    return name


def _expression(text: str, ids: set[str]) -> ast.expr:
    """The parsed expression, if it is arithmetic over ``ids`` and numbers."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise UnsupportedAlarmError(f"metric math {text!r}") from None
    for node in ast.walk(tree):
        allowed = (
            isinstance(node, ast.BinOp | ast.UnaryOp | ast.Load | ast.USub | ast.UAdd)
            or type(node) in _OPERATORS
            or (isinstance(node, ast.Name) and node.id in ids)
            or (isinstance(node, ast.Constant) and isinstance(node.value, int | float))
        )
        if not allowed:
            raise UnsupportedAlarmError(f"metric math {text!r} (only + - * / over the ids)")
    return tree


def _calculate(node: ast.expr, value_of: Callable[[str], float | None]) -> float | None:
    """The expression's value; None when an operand has none or it divides by zero."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return value_of(node.id)
    if isinstance(node, ast.UnaryOp):
        operand = _calculate(node.operand, value_of)
        if operand is None:
            return None
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _calculate(node.left, value_of), _calculate(node.right, value_of)
        if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
            return None
        return _OPERATORS[type(node.op)](left, right)
    raise UnsupportedAlarmError(f"metric math node {ast.dump(node)}")


def alarm_from_description(described: dict[str, Any]) -> Alarm:
    """An alarm from one ``MetricAlarms`` entry of DescribeAlarms.

    Raises:
        UnsupportedAlarmError: an anomaly-detection alarm, other math, an unknown statistic.
    """
    name = str(described["AlarmName"])
    comparison = str(described.get("ComparisonOperator", ""))
    if comparison not in _COMPARISONS or described.get("ThresholdMetricId"):
        raise UnsupportedAlarmError(f"comparison {comparison!r}")
    queries: dict[str, MetricStat | ast.expr] = {}
    if described.get("Metrics"):
        entries = described["Metrics"]
        ids = {str(m["Id"]) for m in entries}
        period = 0
        for entry in entries:
            if "MetricStat" in entry:
                stat = entry["MetricStat"]
                metric = stat["Metric"]
                key = MetricKey.of(
                    metric["Namespace"], metric["MetricName"], _dimensions(metric.get("Dimensions"))
                )
                queries[entry["Id"]] = MetricStat(key, _checked_stat(stat["Stat"]))
                period = max(period, int(stat["Period"]))
            else:
                queries[entry["Id"]] = _expression(str(entry["Expression"]), ids)
        returned = [m["Id"] for m in entries if m.get("ReturnData", True)]
        if len(returned) != 1:
            raise UnsupportedAlarmError("an alarm's metric math returns exactly one query")
        result = str(returned[0])
    else:
        key = MetricKey.of(
            described["Namespace"],
            described["MetricName"],
            _dimensions(described.get("Dimensions")),
        )
        stat = described.get("Statistic") or described.get("ExtendedStatistic") or ""
        queries["metric"] = MetricStat(key, _checked_stat(stat))
        result = "metric"
        period = int(described["Period"])
    evaluation_periods = int(described["EvaluationPeriods"])
    return Alarm(
        name=name,
        queries=queries,
        result=result,
        period=period,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=int(described.get("DatapointsToAlarm") or evaluation_periods),
        threshold=float(described["Threshold"]),
        comparison=comparison,
        treat_missing_data=str(described.get("TreatMissingData") or "missing"),
        described=described,
    )


def local_period(alarm: Alarm, speedup: float) -> float:
    """The window one of the alarm's periods is locally (see the module's docstring)."""
    if alarm.treat_missing_data == "breaching":
        return float(alarm.period)
    return max(MIN_LOCAL_PERIOD, alarm.period / speedup)


@dataclass(frozen=True)
class Evaluation:
    state: str
    reason: str


def _listed(points: list[tuple[float, float]]) -> str:
    stamps = (
        f"{value!r} ({datetime.fromtimestamp(at, UTC).strftime('%d/%m/%y %H:%M:%S')})"
        for at, value in points
    )
    return "[" + ", ".join(stamps) + "]"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def evaluate(
    alarm: Alarm,
    store: MetricStore,
    now: float,
    started: float,
    speedup: float = DEFAULT_SPEEDUP,
    current: str = INSUFFICIENT_DATA,
) -> Evaluation:
    """The alarm's state at ``now`` (seconds since the epoch) for a stack started at
    ``started``; ``current`` is kept when missing data is ``ignore``d and nothing else is
    known. The reason is worded as CloudWatch words it."""
    period = local_period(alarm, speedup)
    known: list[tuple[float, float | None]] = []  # (window start, value), newest first
    for k in range(alarm.evaluation_periods):
        end = now - k * period
        start = end - period
        if end <= started:
            break
        value = alarm.value(store, start, end)
        if value is None and start < started:
            continue  # before the stack: unknown, not missing
        known.append((start, value))
    compare, words = _COMPARISONS[alarm.comparison]
    present = [(at, v) for at, v in known if v is not None]
    breaching = [(at, v) for at, v in present if compare(v, alarm.threshold)]
    missing = len(known) - len(present)
    treated = alarm.treat_missing_data in ("breaching", "notBreaching")
    breaching_count = len(breaching) + (missing if alarm.treat_missing_data == "breaching" else 0)
    if not present and not (treated and missing):
        if alarm.treat_missing_data == "ignore":
            return Evaluation(current, "Missing data ignored: state kept")
        return Evaluation(INSUFFICIENT_DATA, "Insufficient Data: no datapoints were received")
    state = ALARM if breaching_count >= alarm.datapoints_to_alarm else OK
    shown = breaching if state == ALARM else [p for p in present if p not in breaching]
    threshold = f"the threshold ({alarm.threshold!r})"
    if shown:
        verb = "was" if len(shown) == 1 else "were"
        negation = "" if state == ALARM else "not "
        of = f" out of the last {len(known)}" if len(known) > 1 else ""
        reason = (
            f"Threshold Crossed: {_count(len(shown), 'datapoint')}{of} {_listed(shown)} "
            f"{verb} {negation}{words} {threshold}"
        )
    else:
        reason = f"Threshold Crossed: no datapoints were received for {_count(missing, 'period')}"
    if treated and missing:
        kind = "Breaching" if alarm.treat_missing_data == "breaching" else "NonBreaching"
        reason += f" and {_count(missing, 'missing datapoint')} treated as [{kind}]"
    if alarm.datapoints_to_alarm > 1 and state == ALARM:
        reason += f" (minimum {alarm.datapoints_to_alarm} datapoints for OK -> ALARM transition)"
    return Evaluation(state, reason + ".")
