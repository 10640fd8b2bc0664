"""The local stack's API processes, forked from one server process that has already imported
what every one of them imports (Chalice's local server, boto3, pydantic, Powertools...), as
Lambda's SnapStart resumes an initialised environment. Each process then imports only its
own app: 0.9 s of a core each becomes 0.1-0.25 s, and five of them start on a two-core
machine while the stack goes on starting.

The fork server is multiprocessing's (``forkserver``: one clean process, started without
the stack's threads, forking each child on request and reporting how it exited); a process
it forks is a ``ForkedProcess``, which the supervisor keeps running as it keeps a
``subprocess.Popen``.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from collections.abc import Callable, Collection, Sequence
from multiprocessing import forkserver, resource_tracker
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

_CONTEXT = multiprocessing.get_context("forkserver")


class ForkedProcess:
    """A process forked by the fork server, with what the supervisor and the stack use of
    ``subprocess.Popen``'s interface."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """As ``Popen``'s: the exit status, or minus the signal that ended it."""
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        """The exit status once it has exited.

        Raises:
            subprocess.TimeoutExpired: it runs on after ``timeout`` seconds.
        """
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"forked {self._process.name}", timeout or 0)
        return self._process.exitcode

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()


def start_fork_server(preload: Sequence[str], without: Collection[str] = ()) -> None:
    """Start the fork server now, importing ``preload`` (module names), so that it is ready
    by the time the first process is asked for; its imports run on another core meanwhile.

    It keeps this process's environment but the variables named in ``without`` (the
    operator's AWS credentials: no local process may use them), and passes it on to every
    process it forks.
    """
    _CONTEXT.set_forkserver_preload(list(preload))
    kept = {name: os.environ.pop(name) for name in without if name in os.environ}
    try:  # the server takes the environment it is started with
        forkserver.ensure_running()
    finally:
        os.environ.update(kept)


def stop_fork_server() -> None:
    """Stop the fork server, and the resource tracker it started, and wait for both: once
    the stack stops, none of its processes runs on. Through multiprocessing's own stop
    methods (private; CPython's tests use them): it has no public one, since it lets both
    notice that their parent exited, a moment later."""
    forkserver._forkserver._stop()  # type: ignore[attr-defined]
    resource_tracker._resource_tracker._stop()  # type: ignore[attr-defined]


def start_forked(
    name: str,
    target: Callable[..., None],
    args: tuple[Any, ...],
    environment: dict[str, str],
    log_path: Path,
) -> ForkedProcess:
    """``target(*args)`` in a process forked from the fork server, with ``environment`` on
    top of the server's (the stack's) and its stdout appended to ``log_path``; its stderr
    (one-line events) stays on the console."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    process = _CONTEXT.Process(
        target=_run,
        args=(target, args, environment, str(log_path)),
        name=name,
        daemon=True,  # stopped with the stack, whatever happens to it
    )
    process.start()
    return ForkedProcess(process)


def _run(
    target: Callable[..., None],
    args: tuple[Any, ...],
    environment: dict[str, str],
    log_path: str,
) -> None:
    os.environ.update(environment)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.close(log)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115  # the process's own
    target(*args)
