"""Athena's and the Glue catalog's resource types: workgroups (whose configuration the local
Athena, ``service.py``, reads for each query) and Glue databases, created in moto."""

from __future__ import annotations

from typing import Any

from devstack.services.base import Clients, LocalType, as_int, camel_to_pascal
from devstack.services.outputs import ACCOUNT_ID, Created, with_name


def database_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:glue:{region}:{ACCOUNT_ID}:database/{outputs['name']}"
    return f"{ACCOUNT_ID}:{outputs['name']}", outputs | {"arn": arn, "catalogId": ACCOUNT_ID}


def database(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    declared: dict[str, Any] = {"Name": inputs["name"]}
    if inputs.get("description"):
        declared["Description"] = inputs["description"]
    clients("glue").create_database(DatabaseInput=declared)
    return database_outputs(clients.region, inputs["name"], inputs)


def workgroup_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:athena:{region}:{ACCOUNT_ID}:workgroup/{outputs['name']}"
    return outputs["name"], outputs | {"arn": arn}


def workgroup(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The workgroup with its configuration, which the local Athena (``service.py``) reads
    for each query: result location, encryption, bytes-scanned cutoff."""
    given = inputs.get("configuration") or {}
    result = camel_to_pascal(given.get("resultConfiguration") or {})
    configuration: dict[str, Any] = {
        "ResultConfiguration": result,
        "EnforceWorkGroupConfiguration": bool(given.get("enforceWorkgroupConfiguration")),
        "PublishCloudWatchMetricsEnabled": bool(given.get("publishCloudwatchMetricsEnabled")),
    }
    if given.get("bytesScannedCutoffPerQuery"):
        configuration["BytesScannedCutoffPerQuery"] = as_int(given["bytesScannedCutoffPerQuery"])
    clients("athena").create_work_group(
        Name=inputs["name"],
        Configuration=configuration,
        Tags=[{"Key": k, "Value": v} for k, v in (inputs.get("tags") or {}).items()],
    )
    return workgroup_outputs(clients.region, inputs["name"], inputs)


TYPES = {
    "aws:athena/workgroup:Workgroup": LocalType(offline=workgroup_outputs, create=workgroup),
    "aws:glue/catalogDatabase:CatalogDatabase": LocalType(
        offline=database_outputs, create=database
    ),
}
