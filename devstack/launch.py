"""Start the local stack as a user does (``python -m devstack up``) in a subprocess, on
free ports, and stop it with Ctrl-C. For end-to-end tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.processes import free_port, free_port_block
from infra.registry import ROOT, SYSTEMS


@dataclass
class LaunchedStack:
    process: subprocess.Popen[bytes]
    state_dir: Path
    moto_port: int
    http_port: int
    description: dict[str, Any]
    boot_seconds: float

    def stop(self, timeout: float = 30) -> int:
        """Ctrl-C, as a user would; returns the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, so the stack stops whatever it started; SIGKILL only if it does not exit."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def launch(state_dir: Path, *extra: str, timeout: float = 60, attempts: int = 3) -> LaunchedStack:
    """Start the stack; its console output goes to ``state_dir/output.log``.

    A free port can be taken by another process between the probe and the bind (tests run
    side by side): a stack that exits with "Address already in use" is started again on
    other ports, up to ``attempts`` times.

    Raises:
        RuntimeError: it exited or did not write stack.json in time (with its output).
    """
    for attempt in range(1, attempts + 1):
        try:
            return _launch_once(state_dir, extra, timeout)
        except RuntimeError as err:
            if "Address already in use" not in str(err) or attempt == attempts:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


def _launch_once(state_dir: Path, extra: tuple[str, ...], timeout: float) -> LaunchedStack:
    # The APIs listen on the first port plus each app's place (``app_place``), whichever
    # systems run: the whole block must be free.
    moto_port, http_port = free_port(), free_port_block(len(SYSTEMS) + 1)
    log = state_dir / "output.log"
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devstack",
                "up",
                "--moto-port",
                str(moto_port),
                "--http-port",
                str(http_port),
                "--state-dir",
                str(state_dir),
                *extra,
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    description_file = state_dir / "stack.json"
    while not description_file.exists():
        if process.poll() is not None or time.perf_counter() - started > timeout:
            _stop(process)
            raise RuntimeError(f"the local stack did not start:\n{log.read_text()}")
        time.sleep(0.02)
    boot = time.perf_counter() - started
    return LaunchedStack(
        process, state_dir, moto_port, http_port, json.loads(description_file.read_text()), boot
    )
