"""API Gateway's resource types. None is created in moto: the local gateway
(``gateway.py``) serves each app's routes from the app itself, with the key and authorizers
the program declares, so the API's pieces only get outputs in AWS's formats."""

from __future__ import annotations

from typing import Any

from devstack.services.base import LocalType
from devstack.services.outputs import ACCOUNT_ID, Created, short_id, with_name


def rest_api_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    api_id = short_id(outputs["name"])
    return api_id, outputs | {
        "executionArn": f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}",
        "rootResourceId": short_id(api_id),
    }


def stage_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    url = (
        f"https://{inputs.get('restApi')}.execute-api.{region}.amazonaws.com/"
        f"{inputs.get('stageName')}"
    )
    return short_id(name), with_name(name, inputs) | {"invokeUrl": url}


def api_key_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    return short_id(name), with_name(name, inputs) | {"value": short_id("key" + name, 40)}


TYPES = {
    "aws:apigateway/restApi:RestApi": LocalType(offline=rest_api_outputs),
    "aws:apigateway/stage:Stage": LocalType(offline=stage_outputs),
    "aws:apigateway/apiKey:ApiKey": LocalType(offline=api_key_outputs),
    "aws:apigateway/deployment:Deployment": LocalType(),
    "aws:apigateway/usagePlan:UsagePlan": LocalType(),
    "aws:apigateway/usagePlanKey:UsagePlanKey": LocalType(),
}
