"""The real program run for each stack under mocks that make up AWS's outputs."""

from __future__ import annotations

import importlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from devstack.mocks import OfflineMocks
from devstack.program import DeclaredResource, RecordingMocks, run_program
from infra.settings import available_stacks, read_settings, read_system_settings
from tests.conftest import REGION

# Every Pulumi.<stack>.yaml there is: a new stack file is tested without a change here.
STACKS = tuple(available_stacks())


FakeAwsMocks = OfflineMocks


@pytest.fixture(scope="session")
def stacks(built_packages: Path) -> dict[str, FakeAwsMocks]:
    """Every stack, declared once per test session."""
    return {stack: run_program(stack, FakeAwsMocks(REGION)) for stack in STACKS}  # type: ignore[misc]


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, stacks: dict[str, FakeAwsMocks]) -> FakeAwsMocks:
    return stacks[request.param]


@cache
def declared_alone(system: str, stack: str) -> FakeAwsMocks:
    """One system declared alone for one stack, as ``declare(systems=...)`` does; once per
    session."""
    return run_program(stack, FakeAwsMocks(REGION), systems=(system,))  # type: ignore[return-value]


def fixtures_of(system: str) -> tuple[Any, Any]:
    """``stacks`` and ``stack`` for a system's own module, declaring that system alone:
    ``stacks, stack = fixtures_of("mentions")``. A system's tests then never build, nor
    depend on, another system's resources; the tests of what systems share (the program,
    encryption, the stack files) keep every system."""

    @pytest.fixture
    def stacks(built_packages: Path) -> dict[str, FakeAwsMocks]:
        return {name: declared_alone(system, name) for name in STACKS}

    @pytest.fixture(params=STACKS)
    def stack(request: pytest.FixtureRequest, stacks: dict[str, FakeAwsMocks]) -> FakeAwsMocks:
        return stacks[request.param]

    return stacks, stack


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
    """One of the platform's settings of a stack, validated, as the stack file spells it."""
    return read_settings(stack).model_dump(by_alias=True, mode="json")[key]


def system_setting(stack: str, system: str) -> dict[str, Any]:
    """A system's settings namespace of a stack, defaults filled in, as the file spells it."""
    model = importlib.import_module(f"infra.systems.{system}.component").SYSTEM.settings_model
    values: dict[str, Any] = read_system_settings(stack, system, model).model_dump(
        by_alias=True, mode="json"
    )
    return values
