"""The local console: one page on loopback showing the running local stack as the program
declared it (systems with a "try it" form per API route, tables, queues, alarms and the
inbox, schedules, functions, the fakes' faults, state machines drawn as graphs), reading the
same moto endpoint and local Lambda service the apps use. ``start_console`` is the local
stack's one hook."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3

from devstack.console.catalog import build_catalog
from devstack.console.server import Console, ConsoleContext
from devstack.declaration import Declaration
from devstack.services.events.schedules import ScheduledTarget


def start_console(
    mocks: Declaration,
    description: dict[str, Any],
    session: boto3.session.Session,
    schedules: list[ScheduledTarget],
    fire: Callable[[ScheduledTarget], None],
    exits: ExitStack,
    host: str = "127.0.0.1",
) -> str:
    """Serve the console for the stack ``description`` (stack.json's document) describes, on
    a free port of ``host`` (a loopback address), until ``exits`` closes; returns its URL."""
    context = ConsoleContext(
        catalog=build_catalog(mocks, schedules, description["apps"], description["api_keys"]),
        session=session,
        endpoint=description["aws_endpoint"],
        log_dir=Path(description["logs"]),
        inbox_dir=Path(description["inbox"]),
        fault_controls=dict(description["fault_controls"]),
        fire=fire,
    )
    console = Console(context, host)
    console.start()
    exits.callback(console.stop)
    return console.url
