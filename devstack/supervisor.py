"""Keeps the local stack's long-lived processes (each API, each queue's worker) running, as
Lambda keeps a function available: a process that exits — a crash, a kill, an invocation
that outlived its function's timeout — is replaced by a new one, and the console says so.
moto's state lives in the stack's own process, so nothing queued is lost by a restart.

A process that keeps dying right after it starts is restarted after a growing pause (1, 2,
4 … 30 s), so a broken handler cannot spin the machine.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from devstack.processes import ChildProcess, stop_process

# A process that lived this long before exiting was working: restart it at once.
HEALTHY_SECONDS = 10.0
MAX_PAUSE_SECONDS = 30.0


@dataclass
class Supervised:
    name: str
    start: Callable[[], ChildProcess]
    process: ChildProcess
    started_at: float
    restarts: int = 0
    # Consecutive quick deaths, for the pause before the next start.
    quick_deaths: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._children: list[Supervised] = []

    def add(self, name: str, start: Callable[[], ChildProcess]) -> ChildProcess:
        """Start ``name`` now with ``start`` and keep it running; returns the process started."""
        process = start()
        self._children.append(Supervised(name, start, process, self._clock()))
        return process

    def processes(self) -> list[ChildProcess]:
        """The processes running now (to stop them, or to look at them)."""
        return [child.process for child in self._children]

    def restarts(self) -> dict[str, int]:
        return {child.name: child.restarts for child in self._children}

    def check(self) -> None:
        """Notice every process that exited and start a new one when its pause is over."""
        now = self._clock()
        for child in self._children:
            if child.restart_at is None and child.process.poll() is not None:
                lived = now - child.started_at
                child.quick_deaths = 0 if lived >= HEALTHY_SECONDS else child.quick_deaths + 1
                pause = (
                    min(MAX_PAUSE_SECONDS, 2.0 ** (child.quick_deaths - 1))
                    if (child.quick_deaths)
                    else 0.0
                )
                child.restart_at = now + pause
                print(
                    f"[stack] {child.name} exited ({child.process.returncode}) after "
                    f"{lived:.1f} s; a new one starts"
                    + (f" in {pause:.0f} s" if pause else "")
                    + ", as Lambda starts a new environment",
                    file=sys.stderr,
                    flush=True,
                )
            if child.restart_at is not None and now >= child.restart_at:
                child.process = child.start()
                child.started_at = now
                child.restart_at = None
                child.restarts += 1

    def stop(self) -> None:
        """Tell every process to stop at once, then wait for each (SIGKILL after 5 s)."""
        for child in self._children:
            child.restart_at = None
            if child.process.poll() is None:
                child.process.terminate()
        for child in self._children:
            stop_process(child.process)
