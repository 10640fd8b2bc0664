"""The one list of systems. The Pulumi program, the local runtime, pytest and mypy discover
every system from it; adding a system is one line here (README: "Adding a system").

A system named ``x`` brings, by convention:

- ``chalice_apps/x/``: its Chalice app (logic in ``chalicelib/x/``, including ``names.py``
  and ``env.py``, what infra and the app share);
- ``infra/systems/x/``: ``settings.py`` (its settings namespace, ``Settings``) and
  ``component.py`` (its ``FleetSystem`` subclass, ``SYSTEM``);
- ``devstack/profiles/x.py``: what the local stack adds for it (fakes, demo data, secrets);
- its tests, and optionally its block ``serverless-fleet:x`` in the stack files.

Nothing here imports Pulumi, so operator commands and test set-up can read it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

ROOT = Path(__file__).resolve().parent.parent
APPS_DIR = ROOT / "chalice_apps"

SYSTEMS: Final[tuple[str, ...]] = ("comms", "mentions", "patches", "csvchat", "trends")


def chosen_systems(names: Sequence[str] | None) -> tuple[str, ...]:
    """``names`` in the registry's order (every system when None): what a program, a local
    stack or a test declares when it needs only some systems.

    Raises:
        ValueError: a name is not a system of the registry.
    """
    if names is None:
        return SYSTEMS
    unknown = sorted(set(names) - set(SYSTEMS))
    if unknown:
        raise ValueError(f"no such system {unknown}: the systems are {list(SYSTEMS)}")
    return tuple(system for system in SYSTEMS if system in names)


def app_dir(system: str) -> Path:
    """The folder of a system's Chalice app."""
    return APPS_DIR / system


def app_paths() -> list[Path]:
    """Every system's app folder: each holds a ``chalicelib/`` namespace package, so all of
    them go on the import path side by side."""
    return [app_dir(system) for system in SYSTEMS]


def add_app_paths() -> None:
    """Put every app folder on ``sys.path`` (the program, operator commands, tests), as the
    Lambda runtime puts a package's root on it."""
    for path in app_paths():
        if str(path) not in sys.path:
            sys.path.append(str(path))


def main() -> None:
    """``python -m infra.registry mypy-path``: the apps' folders, ``:``-separated (MYPYPATH);
    ``python -m infra.registry systems``: the systems, one per line."""
    command = sys.argv[1] if len(sys.argv) > 1 else "systems"
    if command == "mypy-path":
        print(":".join(str(p.relative_to(ROOT)) for p in app_paths()))
    elif command == "systems":
        print("\n".join(SYSTEMS))
    else:
        raise SystemExit(f"unknown command {command!r}: mypy-path or systems")


if __name__ == "__main__":
    main()
