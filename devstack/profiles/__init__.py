"""What the local stack adds for each system, kept beside the runtime and never in a zip:
the fakes of the outside APIs it calls, the fakes of the models it calls through Bedrock's
Converse, the demo data and secrets it seeds, and what it adds to ``stack.json``. One
module per system of the registry, ``devstack/profiles/<system>.py``, exposing ``PROFILE``
(its larger fakes in modules of their own beside it, ``<system>_*.py``); the runtime names
no system.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from devstack.declaration import Declaration
from devstack.fakes.base import FakeServer
from devstack.outside import RealServices
from devstack.services.bedrock.converse import ModelFake
from infra.registry import SYSTEMS, add_app_paths


@dataclass(frozen=True)
class FakeContext:
    """What a fake may need to hold demo data: the program's resources, the time, and the
    stack's state folder (for what a person should find after a run: uploaded files)."""

    mocks: Declaration
    now: datetime
    state_dir: Path | None = None


@dataclass(frozen=True)
class Fake:
    """An outside API a system calls, faked on loopback unless its credentials are given."""

    name: str  # as stack.json's "fakes" and "real" list it
    build: Callable[[FakeContext], FakeServer]
    # The variable that points the system's client at the fake, and the path after the
    # fake's URL (OpenAI's SDK wants ``/v1``).
    variable: str
    suffix: str = ""
    # More variables pointing at the same fake, each with its path (an API with an upload
    # host and a token endpoint besides its base URL).
    more_variables: tuple[tuple[str, str], ...] = ()
    # All of these set in make dev's environment: the real service is called instead.
    real_variables: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedContext:
    """Where a profile seeds: the stack (physical names), and the services called for real
    (their credentials go into the secrets instead of the fakes')."""

    stack: str
    real: RealServices


@dataclass(frozen=True)
class ReadyContext:
    """The running stack, once every API listens: each app's base URL and each started
    fake (a fake that calls an app back, as a webhook does, is pointed at it here)."""

    apps: dict[str, str]
    fakes: dict[str, FakeServer]


@dataclass(frozen=True)
class Profile:
    system: str
    fakes: tuple[Fake, ...] = ()
    # Its models on the local Bedrock: each answers the Converse requests it recognises.
    models: tuple[ModelFake, ...] = ()
    # Demo data and secret values, written with boto3 (pointed at the local AWS endpoint).
    seed: Callable[[SeedContext], None] | None = None
    # Entries stack.json gains (e.g. the demo company's ids).
    description: dict[str, Any] = field(default_factory=dict)
    # Entries known only once the stack runs (ids moto chose), read after ``seed``.
    describe: Callable[[SeedContext], dict[str, Any]] | None = None
    # Called once the APIs listen (e.g. to point a fake's webhook at the system's API).
    ready: Callable[[ReadyContext], None] | None = None


def profiles(systems: Sequence[str] = SYSTEMS) -> list[Profile]:
    """The profiles of ``systems`` (every system's by default), in registry order."""
    add_app_paths()
    return [importlib.import_module(f"devstack.profiles.{s}").PROFILE for s in systems]


def _merged(into: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """``added`` merged into ``into``, objects key by key (two systems may add to "demo")."""
    merged = dict(into)
    for key, value in added.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def stack_entries(all_profiles: list[Profile], context: SeedContext) -> dict[str, Any]:
    """What every system adds to stack.json, merged."""
    entries: dict[str, Any] = {}
    for profile in all_profiles:
        entries = _merged(entries, profile.description)
        if profile.describe is not None:
            entries = _merged(entries, profile.describe(context))
    return entries


def models(all_profiles: list[Profile]) -> list[ModelFake]:
    """Every system's model fakes, in registry order: the order the local Bedrock asks them."""
    return [model for profile in all_profiles for model in profile.models]


def fakes(all_profiles: list[Profile]) -> dict[str, Fake]:
    """Every fake any system needs, once each, by name."""
    return {fake.name: fake for profile in all_profiles for fake in profile.fakes}
