"""Processes forked from the fork server (``devstack/forked.py``), as the stack starts its API
processes: each gets its own environment on top of the server's, less the operator's
credentials, writes its stdout to its own log, and is stopped and replaced as a
``subprocess.Popen`` is."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from devstack.forked import start_fork_server, start_forked, stop_fork_server
from devstack.supervisor import Supervisor

OPERATOR_SECRET = "FORKED_TEST_OPERATOR_SECRET"


def report_environment(names: list[str]) -> None:
    print(json.dumps({name: os.environ.get(name) for name in names}))
    print("already imported: " + str("email.mime.text" in sys.modules))


def exit_with(code: int) -> None:
    raise SystemExit(code)


def sleep_long() -> None:
    time.sleep(60)


@pytest.fixture
def fork_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(OPERATOR_SECRET, "the operator's")
    start_fork_server(["email.mime.text"], without=[OPERATOR_SECRET])
    yield
    stop_fork_server()


def test_a_forked_process_has_its_environment_and_its_log_but_no_operator_secret(
    fork_server: None, tmp_path: Path
) -> None:
    log = tmp_path / "logs" / "api.log"
    process = start_forked(
        "api",
        report_environment,
        ([OPERATOR_SECRET, "APP_SETTING"],),
        {"APP_SETTING": "its own"},
        log,
    )

    assert process.wait(timeout=20) == 0
    first, second = log.read_text().splitlines()
    assert json.loads(first) == {OPERATOR_SECRET: None, "APP_SETTING": "its own"}
    assert second == "already imported: True"  # by the server, before the fork
    assert os.environ[OPERATOR_SECRET] == "the operator's"  # this process keeps it


def test_a_forked_process_stops_as_a_popen_does(fork_server: None, tmp_path: Path) -> None:
    process = start_forked("api", sleep_long, (), {}, tmp_path / "api.log")

    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.2)
    assert process.poll() is None
    process.terminate()
    assert process.wait(timeout=20) == -signal.SIGTERM
    assert process.returncode == -signal.SIGTERM


def test_the_supervisor_replaces_a_forked_process_that_exits(
    fork_server: None, tmp_path: Path
) -> None:
    now = [0.0]
    supervisor = Supervisor(clock=lambda: now[0])
    supervisor.add("api", partial(start_forked, "api", exit_with, (3,), {}, tmp_path / "a.log"))
    (first,) = supervisor.processes()
    first.wait(timeout=20)

    supervisor.check()  # noticed: a quick death waits a second
    now[0] += 1
    supervisor.check()

    assert first.returncode == 3
    assert supervisor.restarts() == {"api": 1}
    assert supervisor.processes()[0] is not first
    supervisor.stop()
