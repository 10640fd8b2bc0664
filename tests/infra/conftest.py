"""The real program run for each stack under mocks that make up AWS's outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.local.fake_arns import OfflineMocks
from shared.local.program import DeclaredResource, RecordingMocks, run_program, stack_values
from shared.names import PROJECT
from tests.conftest import REGION

STACKS = ("dev", "prod")


FakeAwsMocks = OfflineMocks


@pytest.fixture(scope="session")
def stacks(built_packages: Path) -> dict[str, FakeAwsMocks]:
    """Both stacks, declared once per test session."""
    return {stack: run_program(stack, FakeAwsMocks(REGION)) for stack in STACKS}  # type: ignore[misc]


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, stacks: dict[str, FakeAwsMocks]) -> FakeAwsMocks:
    return stacks[request.param]


def urn(resource: DeclaredResource) -> str:
    """How a failure names a resource: its type and logical name, as Pulumi's URN does."""
    return f"{resource.type}::{resource.name}"


def policy_statements(stack: RecordingMocks) -> list[tuple[DeclaredResource, dict[str, Any]]]:
    """Every statement of every inline policy the program declares."""
    return [
        (policy, statement)
        for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(policy.inputs["policy"])["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def setting(stack: str, key: str) -> Any:
    """One of this project's settings in ``Pulumi.<stack>.yaml``, typed as written."""
    return stack_values(stack)[f"{PROJECT}:{key}"]
