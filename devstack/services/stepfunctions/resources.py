"""Step Functions' resource types: state machines created in moto with the declared
definition, logging and tracing; with execution on (the local stack's server), moto runs
them, their Lambda tasks going to the local Lambda service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devstack.services.base import Clients, LocalType
from devstack.services.outputs import ACCOUNT_ID, Created, with_name

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


def state_machine(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The definition as declared; with execution on (the local stack's server), moto
    runs it, its Lambda tasks going to the local Lambda service."""
    client: SFNClient = clients("stepfunctions")
    request: dict[str, Any] = {
        "name": inputs["name"],
        "definition": inputs["definition"],
        "roleArn": inputs["roleArn"],
        "type": inputs.get("type") or "STANDARD",
        "tags": [{"key": k, "value": v} for k, v in (inputs.get("tags") or {}).items()],
    }
    logging = inputs.get("loggingConfiguration") or {}
    if logging.get("logDestination"):
        request["loggingConfiguration"] = {
            "level": logging.get("level", "OFF"),
            "includeExecutionData": bool(logging.get("includeExecutionData")),
            "destinations": [
                {"cloudWatchLogsLogGroup": {"logGroupArn": logging["logDestination"]}}
            ],
        }
    if inputs.get("tracingConfiguration"):
        request["tracingConfiguration"] = inputs["tracingConfiguration"]
    arn = client.create_state_machine(**request)["stateMachineArn"]
    return arn, {**inputs, "arn": arn, "status": "ACTIVE"}


def state_machine_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:states:{region}:{ACCOUNT_ID}:stateMachine:{outputs['name']}"
    return arn, outputs | {"arn": arn}


TYPES = {
    "aws:sfn/stateMachine:StateMachine": LocalType(
        offline=state_machine_outputs, create=state_machine
    ),
}
