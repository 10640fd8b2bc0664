"""Secrets Manager's resource types: secrets created in moto as declared, with no value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devstack.services.base import Clients, LocalType, tag_list
from devstack.services.outputs import ACCOUNT_ID, Created, short_id, with_name

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


def secret(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The secret with no value, as the program declares it; operators (or the local
    stack's demo data) put the value."""
    client: SecretsManagerClient = clients("secretsmanager")
    arn = client.create_secret(
        Name=inputs["name"], Description=inputs.get("description", ""), Tags=tag_list(inputs)
    )["ARN"]
    return arn, {**inputs, "arn": arn}


def secret_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    suffix = short_id(name, 6)  # AWS appends six random characters to a secret's name
    arn = f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{outputs['name']}-{suffix}"
    return arn, outputs | {"arn": arn}


TYPES = {
    "aws:secretsmanager/secret:Secret": LocalType(offline=secret_outputs, create=secret),
}
