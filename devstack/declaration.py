"""What the program declared: every resource's inputs and outputs, as the mocks recorded them
while it ran (``program.py``) or as a snapshot kept them (``snapshot.py``). The local runtime
reads this; apart from ``program.py`` so that reading it does not load Pulumi."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeclaredResource:
    """One resource as the program declared it (``inputs``) and as the mocks created it."""

    type: str
    name: str
    inputs: dict[str, Any]
    id: str
    outputs: dict[str, Any]


@dataclass(frozen=True)
class DeclaredFile:
    """A file asset or archive the program declared (a function's code): its path."""

    kind: str  # "asset" or "archive"
    path: str


class Declaration:
    """Every resource of one run of the program, in the order they were created, and the
    stack's outputs."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.resources: list[DeclaredResource] = []
        # (type, name) -> the ``protect`` option, which mocks are not given.
        self.protect_flags: dict[tuple[str, str], bool] = {}
        self.stack_outputs: dict[str, Any] = {}

    def is_protected(self, resource: DeclaredResource) -> bool:
        return self.protect_flags.get((resource.type, resource.name), False)

    def of_type(self, type_token: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, type_token: str, physical_name: str) -> DeclaredResource:
        """The resource of this type whose ``name`` input is ``physical_name``."""
        found = [r for r in self.of_type(type_token) if r.inputs.get("name") == physical_name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} {type_token} named {physical_name}")
        return found[0]

    def function_environment(self, function_name: str) -> dict[str, str]:
        """The environment the program gives one Lambda function."""
        function = self.named("aws:lambda/function:Function", function_name)
        return dict(function.inputs["environment"]["variables"])
