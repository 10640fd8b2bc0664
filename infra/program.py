"""The program as a function: a stack's systems declared, all of them or a chosen few.

``infra/__main__.py`` declares every system of the registry; the local stack
(``python -m devstack up --systems csvchat``) and a system's own tests declare only the
systems they need, so one system's tests never run, nor wait for, another's resources. A
system depends on nothing another declares (the platform's pieces come with each
``FleetSystem``), so any subset is a valid program.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import pulumi

from infra.components.chalice_package import load_package
from infra.components.system import FleetSystem, SystemArgs
from infra.registry import add_app_paths, chosen_systems
from infra.settings import load_settings


def declare(systems: Sequence[str] | None = None) -> dict[str, Any]:
    """Declare ``systems`` (every one when None) for the current stack; their exports.

    Raises:
        ValueError: a name is not a system of the registry, or a setting is invalid.
    """
    add_app_paths()  # each system's names and env live beside its app (chalicelib/<system>/)
    settings = load_settings()
    exports: dict[str, Any] = {}
    for system in chosen_systems(systems):
        component: type[FleetSystem] = importlib.import_module(  # type: ignore[type-arg]
            f"infra.systems.{system}.component"
        ).SYSTEM
        declared = component(system, SystemArgs(settings=settings, package=load_package(system)))
        exports |= declared.exports
    return exports


def export(exports: dict[str, Any]) -> None:
    """Each export as a stack output."""
    for key, value in exports.items():
        pulumi.export(key, value)
