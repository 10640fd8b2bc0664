"""CloudWatch's resource types: log groups with their retention, metric filters and metric
alarms created in moto as declared (the local stack evaluates the alarms and filters it
finds there, ``alarm_watch.py``); dashboards get made-up outputs."""

from __future__ import annotations

from typing import Any

from devstack.services.base import Clients, LocalType, tag_list
from devstack.services.outputs import ACCOUNT_ID, Created, with_name


def _int(value: Any) -> int | None:
    """Pulumi hands integers to mocks as floats."""
    return None if value is None else int(value)


def _dimension_list(dimensions: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in (dimensions or {}).items()]


def _metric_query(query: dict[str, Any]) -> dict[str, Any]:
    """One of an alarm's ``metricQueries`` as PutMetricAlarm's ``Metrics`` entry."""
    entry: dict[str, Any] = {"Id": query["id"], "ReturnData": bool(query.get("returnData"))}
    for key, name in (("expression", "Expression"), ("label", "Label"), ("period", "Period")):
        if query.get(key) is not None:
            entry[name] = _int(query[key]) if key == "period" else query[key]
    metric = query.get("metric")
    if metric:
        stat: dict[str, Any] = {
            "Metric": {
                "Namespace": metric["namespace"],
                "MetricName": metric["metricName"],
                "Dimensions": _dimension_list(metric.get("dimensions")),
            },
            "Period": _int(metric["period"]),
            "Stat": metric["stat"],
        }
        if metric.get("unit"):
            stat["Unit"] = metric["unit"]
        entry["MetricStat"] = stat
    return entry


# Pulumi's alarm inputs -> PutMetricAlarm's parameters, as given.
_ALARM_PARAMETERS = {
    "alarmDescription": "AlarmDescription",
    "namespace": "Namespace",
    "metricName": "MetricName",
    "statistic": "Statistic",
    "extendedStatistic": "ExtendedStatistic",
    "unit": "Unit",
    "comparisonOperator": "ComparisonOperator",
    "treatMissingData": "TreatMissingData",
    "evaluateLowSampleCountPercentiles": "EvaluateLowSampleCountPercentile",
    "thresholdMetricId": "ThresholdMetricId",
    "alarmActions": "AlarmActions",
    "okActions": "OKActions",
    "insufficientDataActions": "InsufficientDataActions",
    "actionsEnabled": "ActionsEnabled",
}


def log_group_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{outputs['name']}"
    return outputs["name"], outputs | {"arn": arn}


def log_group(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The group with its retention: where a metric filter is put."""
    group_id, outputs = log_group_outputs(clients.region, name, inputs)
    client = clients("logs")
    client.create_log_group(logGroupName=outputs["name"], tags=inputs.get("tags") or {})
    if inputs.get("retentionInDays"):
        client.put_retention_policy(
            logGroupName=outputs["name"], retentionInDays=int(inputs["retentionInDays"])
        )
    return group_id, outputs


def metric_filter(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    transformation = inputs["metricTransformation"]
    metric: dict[str, Any] = {
        "metricName": transformation["name"],
        "metricNamespace": transformation["namespace"],
        "metricValue": transformation["value"],
    }
    if transformation.get("defaultValue") is not None:
        metric["defaultValue"] = float(transformation["defaultValue"])
    if transformation.get("dimensions"):
        metric["dimensions"] = transformation["dimensions"]
    if transformation.get("unit"):
        metric["unit"] = transformation["unit"]
    filter_name = str(inputs.get("name") or name)
    clients("logs").put_metric_filter(
        logGroupName=inputs["logGroupName"],
        filterName=filter_name,
        filterPattern=inputs.get("pattern", ""),
        metricTransformations=[metric],
    )
    return filter_name, {**inputs, "name": filter_name}


def alarm_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{outputs['name']}"
    return outputs["name"], outputs | {"arn": arn}


def alarm(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The alarm as declared (a metric and statistic, or metric queries), in the state
    moto starts alarms in; the local stack's evaluation moves it."""
    alarm_id, outputs = alarm_outputs(clients.region, name, inputs)
    request: dict[str, Any] = {
        "AlarmName": outputs["name"],
        "EvaluationPeriods": _int(inputs["evaluationPeriods"]),
        "Threshold": float(inputs.get("threshold") or 0),
    }
    for key, parameter in _ALARM_PARAMETERS.items():
        if inputs.get(key) is not None:
            request[parameter] = inputs[key]
    for key, parameter in (("period", "Period"), ("datapointsToAlarm", "DatapointsToAlarm")):
        if inputs.get(key) is not None:
            request[parameter] = _int(inputs[key])
    if inputs.get("dimensions"):
        request["Dimensions"] = _dimension_list(inputs["dimensions"])
    if inputs.get("metricQueries"):
        request["Metrics"] = [_metric_query(q) for q in inputs["metricQueries"]]
    if inputs.get("tags"):
        request["Tags"] = tag_list(inputs)
    clients("cloudwatch").put_metric_alarm(**request)
    return alarm_id, outputs


TYPES = {
    "aws:cloudwatch/logGroup:LogGroup": LocalType(offline=log_group_outputs, create=log_group),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": LocalType(create=metric_filter),
    "aws:cloudwatch/metricAlarm:MetricAlarm": LocalType(offline=alarm_outputs, create=alarm),
    "aws:cloudwatch/dashboard:Dashboard": LocalType(),
}
