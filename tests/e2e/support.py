"""What the end-to-end tests share: starting the local stack as a user does, waiting for
what it does in the background, and looking at its processes and AWS endpoint."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from devstack.launch import LaunchedStack, launch

# Debian's chromium, which make install puts there (playwright never downloads a browser).
CHROMIUM = shutil.which("chromium")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_stack(state: Path, *extra: str) -> tuple[LaunchedStack, dict[str, Any]]:
    """The stack as a user starts it; its console output in ``state/output.log``."""
    try:
        stack = launch(state, *extra)
    except RuntimeError as err:
        pytest.fail(str(err))
    # An API listens before its app is imported (its first request waits for the import,
    # as for a cold start): each answers once here, so no test's timeout includes that.
    for url in stack.description["apps"].values():
        requests.get(f"{url}/", timeout=120)
    return stack, {
        "launched": stack,
        "state": state,
        "ports": (stack.moto_port, stack.http_port),
        **stack.description,
    }


def wait_for(condition: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail("timed out waiting")


def aws(local_stack: dict[str, Any], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=local_stack["aws_endpoint"],
        region_name="eu-north-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux's /proc: field 4 of ``stat``)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
