"""EventBridge's and EventBridge Scheduler's resource types: rules on the default bus with
their pattern or schedule, their targets, and Scheduler schedules, created in moto as
declared (moto's events then delivers a matching ``PutEvents`` to a queue target; the local
stack fires schedules itself, ``schedules.py``)."""

from __future__ import annotations

from typing import Any

from devstack.services.base import Clients, LocalType, camel_to_pascal
from devstack.services.outputs import ACCOUNT_ID, Created, short_id, with_name


def rule_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    """A rule the program names not (a Chalice schedule's) gets the name Pulumi would make
    up from its logical name."""
    physical = str(inputs.get("name") or f"{name}-{short_id(name, 7)}")
    arn = f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{physical}"
    return physical, with_name(name, inputs) | {"name": physical, "arn": arn}


def rule(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The rule on the default bus, with its pattern or schedule. The local stack fires
    schedules itself (``schedules.py``); moto's events matches ``PutEvents`` against
    patterns."""
    rule_id, outputs = rule_outputs(clients.region, name, inputs)
    request: dict[str, Any] = {"Name": outputs["name"], "State": inputs.get("state") or "ENABLED"}
    for key, parameter in (
        ("eventPattern", "EventPattern"),
        ("scheduleExpression", "ScheduleExpression"),
        ("description", "Description"),
    ):
        if inputs.get(key):
            request[parameter] = inputs[key]
    if inputs.get("tags"):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]
    arn = clients("events").put_rule(**request)["RuleArn"]
    return rule_id, outputs | {"arn": arn}


def target(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    declared: dict[str, Any] = {
        "Id": inputs.get("targetId") or inputs["rule"],
        "Arn": inputs["arn"],
    }
    for key, parameter in (
        ("input", "Input"),
        ("retryPolicy", "RetryPolicy"),
        ("deadLetterConfig", "DeadLetterConfig"),
    ):
        if inputs.get(key):
            declared[parameter] = camel_to_pascal(inputs[key])
    clients("events").put_targets(Rule=inputs["rule"], Targets=[declared])
    return f"{inputs['rule']}-{declared['Id']}", inputs | {"targetId": declared["Id"]}


def schedule_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    group = str(inputs.get("groupName") or "default")
    arn = f"arn:aws:scheduler:{region}:{ACCOUNT_ID}:schedule/{group}/{outputs['name']}"
    return f"{group}/{outputs['name']}", outputs | {"arn": arn, "groupName": group}


def schedule(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """An EventBridge Scheduler schedule as declared (expression, time zone, target with its
    input, retry policy and dead-letter queue); the local stack fires it
    (``schedules.py``)."""
    request: dict[str, Any] = {
        "Name": inputs["name"],
        "GroupName": inputs.get("groupName") or "default",
        "ScheduleExpression": inputs["scheduleExpression"],
        "FlexibleTimeWindow": camel_to_pascal(inputs["flexibleTimeWindow"]),
        "State": inputs.get("state") or "ENABLED",
        "Target": camel_to_pascal(inputs["target"]),
    }
    for key, parameter in (
        ("scheduleExpressionTimezone", "ScheduleExpressionTimezone"),
        ("description", "Description"),
    ):
        if inputs.get(key):
            request[parameter] = inputs[key]
    clients("scheduler").create_schedule(**request)
    return schedule_outputs(clients.region, inputs["name"], inputs)


TYPES = {
    "aws:cloudwatch/eventRule:EventRule": LocalType(offline=rule_outputs, create=rule),
    "aws:cloudwatch/eventTarget:EventTarget": LocalType(create=target),
    "aws:scheduler/schedule:Schedule": LocalType(offline=schedule_outputs, create=schedule),
}
