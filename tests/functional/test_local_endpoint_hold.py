"""A service whose state a snapshot puts back after the start (Step Functions) is held at the
stack's endpoint until then (``LocalAwsServer.hold``): its calls wait, other services
answer meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.aws_server import LocalAwsServer
from devstack.processes import free_port
from devstack.services.awslambda.service import FunctionHosts
from tests.functional.media_support import client


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalAwsServer]:
    local = LocalAwsServer("127.0.0.1", free_port(), FunctionHosts("127.0.0.1", tmp_path))
    local.start()
    try:
        yield local
    finally:
        local.stop()


def test_a_held_service_answers_once_released_and_others_answer_meanwhile(
    server: LocalAwsServer,
) -> None:
    sfn = client("stepfunctions", server.url)
    sfn.list_state_machines()  # loaded (a second and a half): what follows is the hold alone
    release = server.hold({"stepfunctions"})
    answers: list[Any] = []
    held = threading.Thread(target=lambda: answers.append(sfn.list_state_machines()))
    held.start()

    held.join(timeout=1)
    assert held.is_alive() and not answers
    assert client("sqs", server.url).list_queues().get("QueueUrls", []) == []
    release()
    held.join(timeout=10)
    assert answers and answers[0]["stateMachines"] == []
