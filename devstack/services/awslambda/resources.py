"""Lambda's resource types. None is created in moto: the local Lambda service
(``service.py``) runs each function from the inputs the program declares (handler,
environment, timeout; its event source mappings and invoke configs), so they only get
outputs in AWS's formats."""

from __future__ import annotations

from typing import Any

from devstack.services.base import LocalType
from devstack.services.outputs import ACCOUNT_ID, Created, with_name


def function_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{outputs['name']}"
    invoke = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return outputs["name"], outputs | {"arn": arn, "invokeArn": invoke}


TYPES = {
    "aws:lambda/function:Function": LocalType(offline=function_outputs),
    "aws:lambda/permission:Permission": LocalType(),
    "aws:lambda/eventSourceMapping:EventSourceMapping": LocalType(),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": LocalType(),
}
