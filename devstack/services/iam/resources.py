"""IAM's resource types: roles and their inline policies, created in moto as declared (the
local Athena evaluates a query role's policies)."""

from __future__ import annotations

import threading
from typing import Any

from devstack.services.base import Clients, LocalType
from devstack.services.outputs import ACCOUNT_ID, Created, with_name

# Pulumi's mock runtime creates resources on several threads, and moto's IAM backend reads
# its roles while another thread adds one ("dictionary changed size during iteration"):
# the program's IAM calls go one at a time.
_IAM_CALLS = threading.Lock()


def role_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    return outputs["name"], outputs | {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{outputs['name']}"}


def role(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    role_id, outputs = role_outputs(clients.region, name, inputs)
    request: dict[str, Any] = {
        "RoleName": outputs["name"],
        "AssumeRolePolicyDocument": inputs["assumeRolePolicy"],
    }
    if inputs.get("description"):
        request["Description"] = inputs["description"]
    if inputs.get("tags"):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]
    with _IAM_CALLS:
        created = clients("iam").create_role(**request)["Role"]
    return role_id, outputs | {"arn": created["Arn"], "uniqueId": created["RoleId"]}


def role_policy(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    with _IAM_CALLS:
        clients("iam").put_role_policy(
            RoleName=inputs["role"], PolicyName=inputs["name"], PolicyDocument=inputs["policy"]
        )
    return f"{inputs['role']}:{inputs['name']}", inputs


TYPES = {
    "aws:iam/role:Role": LocalType(offline=role_outputs, create=role),
    "aws:iam/rolePolicy:RolePolicy": LocalType(create=role_policy),
}
