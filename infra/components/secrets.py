"""Secrets whose values operators set: the program declares them and never writes a value."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def operator_secret(
    resource_name: str,
    *,
    name: str,
    holds: str,
    tags: dict[str, str],
    protect: bool,
    parent: pulumi.Resource,
) -> aws.secretsmanager.Secret:
    """A secret without a SecretVersion: its value (``holds`` says what) never passes
    through Pulumi's state or this repository."""
    return aws.secretsmanager.Secret(
        resource_name,
        name=name,
        description=f"{holds}. The value is set by operators, never by this program.",
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
