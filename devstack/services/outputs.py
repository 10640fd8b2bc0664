"""Outputs AWS would compute for a resource (ARN, URL, id), made up in AWS's own formats, in
moto's default account, so that IAM policies and environment variables carry realistic ARNs
whether a resource was created in moto or only given outputs.

Every service's ``resources.py`` builds on these; the program runner imports
:data:`ACCOUNT_ID` from here too (the caller identity it answers), so nothing here imports
the rest of the local runtime.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

# moto's default account: what its ARNs carry, and what the made-up ones carry too.
ACCOUNT_ID = "123456789012"

Created = tuple[str, dict[str, Any]]
"""A resource's physical id and its outputs (its inputs included, as the provider does)."""


def short_id(seed: str, length: int = 10) -> str:
    """A stable hex id derived from ``seed``: the same program gets the same ids each run."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def with_name(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs as outputs, with the physical name: the ``name`` input when the program
    gives one, else the logical name."""
    return {**inputs, "name": str(inputs.get("name") or name)}


def made_up(region: str, name: str, inputs: dict[str, Any]) -> Created:
    """A resource whose outputs nothing reads but its inputs: a random-looking id, as
    Pulumi's providers give one."""
    return f"{name}-{short_id(name, 8)}", with_name(name, inputs)


def _kebab(text: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", text).lower()


def generic(type_token: str, region: str, name: str, inputs: dict[str, Any]) -> Created:
    """Outputs for a type no service knows: its ARN in AWS's usual format, from the token's
    service and resource type and the physical name, which is its id too
    (``aws:ec2/securityGroup:SecurityGroup`` -> ``arn:aws:ec2:<region>:<account>:
    security-group/<name>``)."""
    provider, module, _ = type_token.split(":", 2)  # Pulumi's tokens have three parts
    service, _, resource = module.partition("/")
    outputs = with_name(name, inputs)
    physical = outputs["name"]
    arn = f"arn:aws:{service or provider}:{region}:{ACCOUNT_ID}:{_kebab(resource)}/{physical}"
    return physical, outputs | {"arn": arn}
