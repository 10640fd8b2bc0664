"""The one table from a Pulumi resource type token to what it becomes locally
(:class:`~devstack.services.base.LocalType`): how to create it in moto, and its outputs made
up offline. ``MotoMocks`` (the local stack, functional tests) and ``OfflineMocks`` (infra
tests) both look types up here and nowhere else.

Each service contributes the types of its own ``resources.py`` (its ``TYPES``). A new
resource type is one entry in one service's ``TYPES``; a new service is one package under
``devstack/services/`` and one line below. A type no service knows gets generic outputs (an
ARN from the token's service and the name), and the local stack says so once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from devstack.services.apigateway import resources as apigateway
from devstack.services.athena import resources as athena
from devstack.services.awslambda import resources as awslambda
from devstack.services.base import LocalType
from devstack.services.budgets import resources as budgets
from devstack.services.cloudwatch import resources as cloudwatch
from devstack.services.cognito import resources as cognito
from devstack.services.dynamodb import resources as dynamodb
from devstack.services.events import resources as events
from devstack.services.iam import resources as iam
from devstack.services.kms import resources as kms
from devstack.services.outputs import Created, generic, made_up
from devstack.services.s3 import resources as s3
from devstack.services.secretsmanager import resources as secretsmanager
from devstack.services.sns import resources as sns
from devstack.services.sqs import resources as sqs
from devstack.services.stepfunctions import resources as stepfunctions


class DuplicateTypeError(ValueError):
    """Two services claim the same type token: which one creates it would be chance."""


def merged(tables: Iterable[Mapping[str, LocalType]]) -> dict[str, LocalType]:
    """The services' tables as one.

    Raises:
        DuplicateTypeError: a token is in more than one table, naming it.
    """
    registry: dict[str, LocalType] = {}
    for table in tables:
        for token, local in table.items():
            if token in registry:
                raise DuplicateTypeError(f"{token} is registered by more than one service")
            registry[token] = local
    return registry


REGISTRY = merged(
    service.TYPES
    for service in (
        apigateway,
        athena,
        awslambda,
        budgets,
        cloudwatch,
        cognito,
        dynamodb,
        events,
        iam,
        kms,
        s3,
        secretsmanager,
        sns,
        sqs,
        stepfunctions,
    )
)


def offline_outputs(
    type_token: str, custom: bool, region: str, name: str, inputs: dict[str, Any]
) -> Created:
    """A resource's outputs made up, nothing created: the registered type's own; a
    component's (not a ``custom`` resource: the program's grouping, no AWS type) an id and
    its inputs; an unknown AWS type's, generic ones in AWS's ARN format."""
    local = REGISTRY.get(type_token)
    if local is not None:
        return local.offline(region, name, inputs)
    if not custom:
        return made_up(region, name, inputs)
    return generic(type_token, region, name, inputs)
