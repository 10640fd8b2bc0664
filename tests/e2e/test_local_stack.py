"""The local stack as a user runs it: a subprocess, driven over HTTP, stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from shared.local.program import ROOT
from shared.names import channel_queue, physical

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def local_stack(
    built_packages: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("local")
    moto_port, http_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.local",
            "up",
            "--moto-port",
            str(moto_port),
            "--http-port",
            str(http_port),
            "--state-dir",
            str(state),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (state / "stack.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the local stack did not start:\n{process.stdout.read()}")  # type: ignore[union-attr]
        time.sleep(0.1)
    description = json.loads((state / "stack.json").read_text())
    yield {"process": process, "ports": (moto_port, http_port), **description}
    if process.poll() is None:
        process.kill()


def conversation_request() -> dict[str, Any]:
    return {
        "company_data": {"company_id": "ci-aaa-001", "project_id": "pi-aaa-001"},
        "recipient_data": {"recipient_tel": "+447700900123", "comms_consent": True},
        "request_data": {
            "request_id": str(uuid.uuid4()),
            "channel_method": "whatsapp",
            "initial_request_timestamp": "2026-11-23T08:00:00Z",
        },
    }


def test_stack_json_describes_the_running_stack(local_stack: dict[str, Any]) -> None:
    assert set(local_stack["apps"]) == {"comms"}
    assert local_stack["api_key"]
    assert local_stack["demo"] == {"company_id": "ci-aaa-001", "project_id": "pi-aaa-001"}
    assert local_stack["aws_endpoint"].startswith("http://127.0.0.1:")


def test_a_request_with_the_key_is_queued_in_the_moto_server(local_stack: dict[str, Any]) -> None:
    response = requests.post(
        f"{local_stack['apps']['comms']}/initiate-conversation",
        json=conversation_request(),
        headers={"x-api-key": local_stack["api_key"]},
        timeout=10,
    )

    assert response.status_code == 200, response.text
    sqs = boto3.client("sqs", endpoint_url=local_stack["aws_endpoint"], region_name="eu-north-1")
    url = sqs.get_queue_url(QueueName=physical(channel_queue("whatsapp"), "dev"))["QueueUrl"]
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]
    assert response.json()["conversation_id"] in {
        b["conversation_data"]["conversation_id"] for b in bodies
    }


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "wrong"}], ids=["no key", "wrong key"])
def test_a_request_without_the_right_key_is_forbidden(
    local_stack: dict[str, Any], headers: dict[str, str]
) -> None:
    with requests.Session() as session:  # one kept-alive connection for both requests
        refused = session.post(
            f"{local_stack['apps']['comms']}/initiate-conversation",
            json=conversation_request(),
            headers=headers,
            timeout=10,
        )
        accepted = session.post(
            f"{local_stack['apps']['comms']}/initiate-conversation",
            json=conversation_request(),
            headers={"x-api-key": local_stack["api_key"]},
            timeout=10,
        )
    assert refused.status_code == 403
    assert refused.json() == {"message": "Forbidden"}
    assert accepted.status_code == 200


def test_ctrl_c_stops_everything_and_frees_the_ports(local_stack: dict[str, Any]) -> None:
    process: subprocess.Popen[str] = local_stack["process"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert not any(listening(port) for port in local_stack["ports"])
