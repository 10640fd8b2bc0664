"""The local stack's supervisor and the worker's timeout: a process that exits is replaced
(quick deaths after a growing pause); an invocation past its timeout ends its process."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from typing import Any

import pytest

from devstack.services.sqs.worker import TIMED_OUT_EXIT
from devstack.supervisor import Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def exiting(code: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", f"raise SystemExit({code})"])
    process.wait()
    return process


def test_an_exited_process_is_replaced_at_once_when_it_had_been_working(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock, started = Clock(), []

    def start() -> subprocess.Popen[bytes]:
        started.append(clock.now)
        return exiting(3)

    supervisor = Supervisor(clock)
    supervisor.add("worker", start)
    clock.now = 60.0  # it lived a minute
    supervisor.check()

    assert started == [0.0, 60.0]
    assert supervisor.restarts() == {"worker": 1}
    assert "worker exited (3) after 60.0 s; a new one starts, as Lambda" in capsys.readouterr().err


def test_a_process_that_keeps_dying_is_restarted_after_a_growing_pause() -> None:
    clock, started = Clock(), []

    def start() -> subprocess.Popen[bytes]:
        started.append(clock.now)
        return exiting(1)

    supervisor = Supervisor(clock)
    supervisor.add("broken", start)
    for _ in range(40):  # 0.5 s steps, as the stack's loop
        clock.now += 0.5
        supervisor.check()

    # Quick deaths: 1, 2, 4, 8 s pauses between starts (each noticed on the next step).
    gaps = [round(b - a, 1) for a, b in itertools.pairwise(started)]
    assert gaps[:4] == [1.5, 2.5, 4.5, 8.5]


def test_stop_ends_every_running_process() -> None:
    supervisor = Supervisor()
    supervisor.add(
        "sleeper",
        lambda: subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE),
    )

    supervisor.stop()

    assert all(p.poll() is not None for p in supervisor.processes())


def run_worker_invocation(seconds: float, timeout: int) -> subprocess.CompletedProcess[str]:
    code = (
        "import time\n"
        "from devstack.services.sqs.worker import within_timeout\n"
        f"print(within_timeout(lambda: time.sleep({seconds}) or 'done', {timeout}, '[fn]', "
        "{'Records': [{'messageId': 'm-1'}]}))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)


def test_an_invocation_within_its_timeout_returns_its_result() -> None:
    result = run_worker_invocation(0.1, 5)

    assert (result.returncode, result.stdout.strip()) == (0, "done")


def test_an_invocation_past_its_timeout_ends_the_process_as_lambda_does() -> None:
    result = run_worker_invocation(30, 1)

    assert result.returncode == TIMED_OUT_EXIT
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[0])
    assert report["type"] == "platform.report" and report["record"]["status"] == "timeout"
    assert "timed out after 1 s (Sandbox.Timedout); messages ['m-1']" in result.stderr
