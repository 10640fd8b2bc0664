"""The Pulumi program: every system of the registry, composed; what each exports, exported."""

from __future__ import annotations

import importlib

import pulumi

from infra.components.chalice_package import load_package
from infra.components.system import FleetSystem, SystemArgs
from infra.registry import SYSTEMS, add_app_paths
from infra.settings import load_settings

add_app_paths()  # each system's names and env live beside its app (chalicelib/<system>/)
settings = load_settings()
for system in SYSTEMS:
    component: type[FleetSystem] = importlib.import_module(  # type: ignore[type-arg]
        f"infra.systems.{system}.component"
    ).SYSTEM
    declared = component(system, SystemArgs(settings=settings, package=load_package(system)))
    for key, value in declared.exports.items():
        pulumi.export(key, value)
