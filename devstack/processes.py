"""The local stack's child processes and ports: free ports, waiting for a listener, starting
a process whose stdout is a log file, and stopping one without leaving it behind."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

from infra.registry import ROOT


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port_block(count: int, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive free ports, below Linux's ephemeral range (32768
    up), where the ports the OS hands out (``free_port``, every outgoing connection) come
    from: a block there could be half taken by the time its last port is bound.

    Raises:
        OSError: no free block was found in a thousand tries.
    """
    for _ in range(1000):
        first = random.randrange(20000, 32768 - count)
        if all(port_is_free(host, port) for port in range(first, first + count)):
            return first
    raise OSError(f"no {count} consecutive free ports on {host}")


class ChildProcess(Protocol):
    """What the stack uses of a process it started: a ``subprocess.Popen``, or a process
    forked from the fork server (``forked.ForkedProcess``)."""

    @property
    def pid(self) -> int | None: ...

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


def wait_for_port(
    host: str, port: int, timeout: float = 20.0, process: ChildProcess | None = None
) -> None:
    """Return once something listens on ``host:port``.

    Raises:
        TimeoutError: nothing listens within ``timeout`` seconds.
        ChildProcessError: ``process``, which was to listen there, exited first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        if process is not None and process.poll() is not None:
            raise ChildProcessError(f"exited ({process.returncode}) before listening on {port}")
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def start_logged(
    module_and_args: list[str], environment: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    """``python -m <module> <args>`` from the repository root with ``environment`` on top of
    ours; its stdout (a function's JSON logs) is appended to ``log_path`` line by line, as
    Lambda ships each line (the local alarms read them within a second), its stderr (the
    one-line events) stays on the console."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", *module_and_args],
            env={**os.environ, **environment, "PYTHONUNBUFFERED": "1"},
            cwd=ROOT,
            stdout=log_file,
        )


def stop_process(process: ChildProcess) -> None:
    """SIGTERM, then SIGKILL after 5 s; returns once the process is gone."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
