"""Run the real Pulumi program in this process under Pulumi's mock runtime.

Infra tests and the local stack both use this, so what they see is what ``pulumi up`` would
declare for the same stack: the config comes from ``Pulumi.<stack>.yaml`` (plus overrides).
"""

from __future__ import annotations

import json
import runpy
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import pulumi
import yaml

from devstack.declaration import Declaration, DeclaredFile, DeclaredResource
from devstack.pulumi_mocks import MockCallArgs, MockResourceArgs, run_under_mocks
from devstack.services.outputs import ACCOUNT_ID
from infra.registry import ROOT
from infra.settings import stack_values, unknown_keys

PROGRAM = ROOT / "infra" / "__main__.py"


def plain(value: Any) -> Any:
    """``value`` with Pulumi's file assets and archives as their paths: a declaration holds
    plain values only, and is read (from a snapshot too) without loading Pulumi."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, pulumi.FileArchive):
        return DeclaredFile("archive", value.path)
    if isinstance(value, pulumi.FileAsset):
        return DeclaredFile("asset", value.path)
    return value


class RecordingMocks(Declaration, pulumi.runtime.Mocks):
    """Records every declared resource; subclasses decide what each one's outputs are."""

    @abstractmethod
    def create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Return the physical id and the outputs of a declared resource."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = self.create(args)
        self.resources.append(
            DeclaredResource(args.typ, args.name, plain(args.inputs), resource_id, plain(outputs))
        )
        return resource_id, outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """The data sources the program reads: the caller's account (moto's, which the made-up
        ARNs use too)."""
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            identity = {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/local",
                "userId": "local",
                "id": ACCOUNT_ID,
            }
            return identity, []
        raise NotImplementedError(f"the program invoked {args.token}: mock it first")


def project_name() -> str:
    return str(yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"])


def stack_config(stack: str, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """The stack's config as Pulumi hands it to a program: ``{"project:key": "text"}``.

    ``overrides`` use the same keys (``"serverless-fleet:<system>"``) and replace whole values,
    as ``pulumi config set`` would.

    Raises:
        ValueError: a key is no setting (misspelt, or retired), naming it.
    """
    values = stack_values(stack) | (overrides or {})
    unknown = unknown_keys(values)
    if unknown:
        raise ValueError(f"unknown settings {unknown}")
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def run_pulumi(
    program: Callable[[], None],
    stack: str,
    mocks: RecordingMocks,
    overrides: dict[str, Any] | None = None,
) -> RecordingMocks:
    """Run any Pulumi program function for ``stack`` under ``mocks``; return the mocks.

    Raises whatever the program raises (a missing package, an invalid setting).
    """
    mocks.stack_outputs = run_under_mocks(
        program,
        mocks,
        project=project_name(),
        stack=stack,
        config=stack_config(stack, overrides),
        protect_flags=mocks.protect_flags,
    )
    return mocks


def run_program(
    stack: str,
    mocks: RecordingMocks,
    overrides: dict[str, Any] | None = None,
    systems: Sequence[str] | None = None,
) -> RecordingMocks:
    """Run the real program, ``infra/__main__.py``, for ``stack``; with ``systems``, the
    same program declaring only those (``infra.program.declare``).

    Raises:
        ValueError: a name is not a system of the registry, or a setting is invalid.
    """

    def program() -> None:
        if systems is None:
            runpy.run_path(str(PROGRAM), run_name="__main__")
        else:
            from infra.program import declare, export  # pulumi_aws loads only for a run

            export(declare(systems))

    return run_pulumi(program, stack, mocks, overrides)
