"""The one module that touches Pulumi's private mock machinery; everything else in the local
runtime and its tests goes through it.

Pulumi's public API sets mocks, but it cannot start a fresh root stack for each run in one
process (``settings.ROOT``), hand a mock the ``protect`` option (``MockMonitor`` drops it),
or run a program function to completion synchronously and read its exports
(``run_pulumi_func``, ``_sync_await``). When a Pulumi release moves any of these, this is the
module to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

__all__ = ["MockCallArgs", "MockResourceArgs", "Mocks", "run_under_mocks"]


class _Monitor(MockMonitor):
    """Pulumi's mock monitor, also keeping the ``protect`` option it does not pass to mocks."""

    def __init__(self, mocks: Mocks, protect_flags: dict[tuple[str, str], bool]) -> None:
        super().__init__(mocks)
        self._protect_flags = protect_flags

    def RegisterResource(self, request: Any) -> Any:
        self._protect_flags[(request.type, request.name)] = bool(request.protect)
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


def run_under_mocks(
    program: Callable[[], None],
    mocks: Mocks,
    *,
    project: str,
    stack: str,
    config: dict[str, str],
    protect_flags: dict[tuple[str, str], bool],
) -> dict[str, Any]:
    """Run ``program`` as ``pulumi up`` would for ``project``/``stack`` with ``config``, each
    resource going to ``mocks``; return the stack's exports, resolved.

    ``protect_flags`` receives each resource's ``protect`` option, keyed by (type, name).
    Raises whatever the program raises.
    """
    pulumi_settings.ROOT.set(None)  # a fresh root stack for every run in this process
    pulumi.runtime.set_all_config(config)
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=False, monitor=_Monitor(mocks, protect_flags)
    )
    _sync_await(run_pulumi_func(program))
    root = pulumi_settings.get_root_resource()
    exports = getattr(root, "outputs", {})
    resolved: Any = _sync_await(pulumi.Output.from_input(exports).future())
    return dict(resolved or {})
