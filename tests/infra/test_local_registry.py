"""Every AWS resource type the program declares, in every stack, is one the local runtime
knows (``devstack/services/registry.py``): none of them runs locally on generic outputs."""

from __future__ import annotations

from devstack.services.registry import REGISTRY
from tests.infra.conftest import FakeAwsMocks


def test_every_declared_aws_type_has_a_registry_entry(stack: FakeAwsMocks) -> None:
    # Components (not custom resources) are the program's own grouping, not AWS types.
    declared = {r.type for r in stack.resources if not r.type.startswith("fleet:")}

    assert declared, "the program declared no AWS resource"
    assert sorted(declared - REGISTRY.keys()) == []
