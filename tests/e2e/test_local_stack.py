"""The local stack as a user runs it: a subprocess, driven over HTTP, stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from chalicelib.comms.names import channel_queue
from devstack.launch import LaunchedStack
from devstack.profiles import fakes, profiles
from devstack.profiles.comms import DEMO_TWILIO_ACCOUNT_SID, LOCAL_TWILIO_TOKEN, demo_company_config
from devstack.services.events.schedules import scheduled_event
from infra.components.gateway_errors import gateway_error
from infra.registry import ROOT, SYSTEMS
from shared.names import physical
from tests.e2e.support import aws, children, listening, running, start_stack, wait_for

pytestmark = pytest.mark.e2e


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
    # Every system of the registry serves its API; every fake a profile asks for runs.
    assert list(local_stack["apps"]) == list(SYSTEMS)
    # In the registry's order from the first port: adding a system moves no app's port.
    first = local_stack["ports"][1]
    assert [int(url.rsplit(":", 1)[1]) for url in local_stack["apps"].values()] == list(
        range(first, first + len(SYSTEMS))
    )
    assert local_stack["api_key"] == local_stack["api_keys"]["comms"]
    assert len(set(local_stack["api_keys"].values())) == len(SYSTEMS)
    assert set(local_stack["fakes"]) == set(fakes(profiles()))
    assert {"openai", "twilio", "mentionmind"} <= set(local_stack["fakes"])
    assert local_stack["real"] == []
    # Each system adds to "demo" (comms its company, csvchat its users).
    assert local_stack["demo"]["company_id"] == "ci-aaa-001"
    assert local_stack["demo"]["project_id"] == "pi-aaa-001"
    assert local_stack["aws_endpoint"].startswith("http://127.0.0.1:")
    assert local_stack["region"] == "eu-north-1"  # Pulumi.dev.yaml's aws:region
    assert local_stack["inbox"] == str(local_stack["state"] / "inbox")


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
    assert refused.json() == gateway_error("INVALID_API_KEY", "Forbidden")
    assert accepted.status_code == 200


def test_what_the_api_does_not_declare_is_refused_as_api_gateway_does(
    local_stack: dict[str, Any],
) -> None:
    """Issue 12.10: an unknown path (even with a header that is not ASCII) and a method the
    route does not declare (OPTIONS without CORS) get API Gateway's 403, shaped."""
    comms = local_stack["apps"]["comms"]
    not_declared = gateway_error("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
    with requests.Session() as session:
        unknown = session.get(
            f"{comms}/no-such-path",
            headers={"Authorization": "Bearer \u00e9".encode().decode("latin-1")},
            timeout=10,
        )
        options = session.options(f"{comms}/initiate-conversation", timeout=10)
        delete = session.delete(
            f"{comms}/initiate-conversation",
            headers={"x-api-key": local_stack["api_key"]},
            timeout=10,
        )
    for answer in (unknown, options, delete):
        assert (answer.status_code, answer.json()) == (403, not_declared), answer.request.method


def test_an_operator_can_rehearse_an_outage_of_a_fake_over_http(
    local_stack: dict[str, Any],
) -> None:
    """Issue 12.11: a fault set through the control endpoint stack.json lists is answered
    for its duration, listed while armed, and gone after."""
    control = local_stack["fault_controls"]["twilio"]
    twilio = local_stack["fakes"]["twilio"]
    sid = DEMO_TWILIO_ACCOUNT_SID
    messages = f"{twilio}/2010-04-01/Accounts/{sid}/Messages.json"
    auth = (sid, LOCAL_TWILIO_TOKEN)
    with requests.Session() as session:
        refused = session.post(control, json={"status": 429, "times": 0}, timeout=10)
        armed = session.post(
            control,
            json={
                "path_contains": "/Messages.json",
                "status": 429,
                "headers": {"Retry-After": "3"},
                "body": {"code": 20429, "message": "Too Many Requests"},
                "seconds": 2,
            },
            timeout=10,
        )
        during = session.get(messages, auth=auth, timeout=10)
        listed = session.get(control, timeout=10).json()["faults"]
        time.sleep(2.2)
        after = session.get(messages, auth=auth, timeout=10)
        cleared = session.delete(control, timeout=10).json()
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "times"
    assert armed.status_code == 201
    assert (during.status_code, during.headers["Retry-After"]) == (429, "3")
    assert listed[0]["status"] == 429 and 0 < listed[0]["seconds_left"] <= 2
    assert after.status_code == 200
    assert cleared == {"cleared": 0}


def test_a_whatsapp_request_reaches_twilio_and_its_record_is_sent(
    local_stack: dict[str, Any],
) -> None:
    from twilio.rest import Client as Twilio

    request = conversation_request()
    request["recipient_data"]["recipient_tel"] = "+447700900555"
    response = requests.post(
        f"{local_stack['apps']['comms']}/initiate-conversation",
        json=request,
        headers={"x-api-key": local_stack["api_key"]},
        timeout=10,
    )
    assert response.status_code == 200, response.text

    twilio = Twilio(DEMO_TWILIO_ACCOUNT_SID, LOCAL_TWILIO_TOKEN)
    twilio.api.base_url = local_stack["fakes"]["twilio"]
    (message,) = wait_for(
        lambda: [m for m in twilio.messages.list() if m.to == "whatsapp:+447700900555"]
    )
    record = aws(local_stack, "dynamodb").get_item(
        TableName="conversations-dev",
        Key={
            "primary_channel": {"S": "+447700900555"},
            "conversation_id": {"S": response.json()["conversation_id"]},
        },
    )["Item"]
    assert record["conversation_status"]["S"] == "initial_message_sent"
    assert record["message_sid"]["S"] == message.sid
    log_file = Path(local_stack["logs"]) / "comms-whatsapp-processor-dev.log"
    logged = [
        json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")
    ]
    assert any(
        entry.get("message") == "first message sent" and entry["message_sid"] == message.sid
        for entry in logged
    )
    # And Lambda's report of the invocation, as in its JSON log format.
    assert any(entry.get("type") == "platform.report" for entry in logged)


def worker_pids(launched: LaunchedStack, function: str) -> set[int]:
    """The stack's worker processes for one function (by its command line)."""
    return {
        pid
        for pid in children(launched.process.pid)
        if running(pid)
        and function in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    }


def test_a_killed_worker_is_replaced_and_nothing_queued_is_lost(
    local_stack: dict[str, Any],
) -> None:
    """Issue 12.9: SIGKILL of a worker no longer stops the stack; a new worker takes over, as
    Lambda starts a new environment, and a request sent meanwhile is still delivered."""
    from twilio.rest import Client as Twilio

    launched = local_stack["launched"]
    (killed,) = worker_pids(launched, "comms-whatsapp-processor-dev")
    os.kill(killed, signal.SIGKILL)
    request = conversation_request()
    request["recipient_data"]["recipient_tel"] = "+447700900777"
    response = requests.post(
        f"{local_stack['apps']['comms']}/initiate-conversation",
        json=request,
        headers={"x-api-key": local_stack["api_key"]},
        timeout=10,
    )
    assert response.status_code == 200, response.text

    (replacement,) = wait_for(lambda: worker_pids(launched, "comms-whatsapp-processor-dev"))
    assert replacement != killed and launched.process.poll() is None
    twilio = Twilio(DEMO_TWILIO_ACCOUNT_SID, LOCAL_TWILIO_TOKEN)
    twilio.api.base_url = local_stack["fakes"]["twilio"]
    assert wait_for(lambda: [m for m in twilio.messages.list() if m.to == "whatsapp:+447700900777"])
    console = (local_stack["state"] / "output.log").read_text()
    assert "comms-whatsapp-processor-dev exited (-9)" in console


def alarm_emails(inbox: Path, alarm: str) -> list[dict[str, Any]]:
    """The e-mails the alarm sent on entering ALARM."""
    return [json.loads(path.read_text()) for path in sorted(inbox.glob(f"*-{alarm}-ALARM-*.json"))]


def test_a_message_that_always_fails_is_in_the_dlq_after_three_receives_and_its_alarm_mails(
    local_stack: dict[str, Any],
) -> None:
    from chalicelib.comms.context import build_context

    sqs = aws(local_stack, "sqs")
    config = demo_company_config()
    # Its credentials' secret does not exist: a failure every time, never a permanent one.
    config["channel_config"]["whatsapp"]["whatsapp_credentials_id"] = "whatsapp-credentials/x/y/z"
    request = conversation_request()
    context = build_context(request, config, str(uuid.uuid4()), datetime.now(UTC))
    queue = sqs.get_queue_url(QueueName="ai-multi-comms-whatsapp-queue-dev")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="ai-multi-comms-whatsapp-dlq-dev")["QueueUrl"]
    inbox = Path(local_stack["inbox"])
    assert alarm_emails(inbox, "ai-multi-comms-whatsapp-dlq-dev-not-empty") == []
    message_id = sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(context))["MessageId"]

    # The inbox first: receiving from the DLQ would hide the message from its depth alarm.
    (email,) = wait_for(lambda: alarm_emails(inbox, "ai-multi-comms-whatsapp-dlq-dev-not-empty"))
    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq).get("Messages"))

    assert [m["MessageId"] for m in dead] == [message_id]
    console = (local_stack["state"] / "output.log").read_text().splitlines()
    failures = [line for line in console if message_id in line and " failed " in line]
    assert [line.split("(receive ")[1][0] for line in failures] == ["1", "2", "3"]
    assert email["to"] == "fleet-dev-alerts@example.com"  # Pulumi.dev.yaml's alarmEmail
    assert email["subject"] == (
        'ALARM: "ai-multi-comms-whatsapp-dlq-dev-not-empty" in Europe (Stockholm)'
    )
    assert email["message"]["NewStateValue"] == "ALARM"
    assert email["message"]["Trigger"]["Dimensions"] == [
        {"value": "ai-multi-comms-whatsapp-dlq-dev", "name": "QueueName"}
    ]
    assert any(
        line.startswith("[alarm] ai-multi-comms-whatsapp-dlq-dev-not-empty -> ALARM (")
        for line in console
    )


def test_a_scheduled_function_that_always_fails_leaves_its_event_in_the_failed_events_queue(
    local_stack: dict[str, Any],
) -> None:
    # Invoked as its schedule invokes it (asynchronously), with an event it cannot read.
    event = {"not": "a scheduled event"}
    inbox = Path(local_stack["inbox"])

    aws(local_stack, "lambda").invoke(
        FunctionName="mentions-ingest-mentions-dev",
        InvocationType="Event",
        Payload=json.dumps(event).encode(),
    )

    (email,) = wait_for(lambda: alarm_emails(inbox, "mentions-failed-events-dev-not-empty"))
    sqs = aws(local_stack, "sqs")
    url = sqs.get_queue_url(QueueName="mentions-failed-events-dev")["QueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    record = json.loads(message["Body"])
    # The stack's failedEvents setting: two retries.
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == event
    assert record["responsePayload"]["errorType"] == "KeyError"
    console = (local_stack["state"] / "output.log").read_text()
    assert (
        "[lambda] mentions-ingest-mentions-dev: event failed after 3 attempts (RetriesExhausted); "
        "its record is in mentions-failed-events-dev"
    ) in console
    assert email["message"]["NewStateValue"] == "ALARM"
    # And the function's Errors alarm (told in the same second, maybe just after).
    wait_for(lambda: alarm_emails(inbox, "mentions-ingest-mentions-dev-errors"))


def test_a_queue_setting_changed_in_stack_config_is_what_the_local_stack_creates(
    built_packages: Path, tmp_path: Path
) -> None:
    """comms alone: its API takes the first port, the one the launcher found free."""
    setting = {"visibilityTimeoutSeconds": 900, "maxReceiveCount": 5, "dlqRetentionDays": 7}
    launched, stack = start_stack(
        tmp_path,
        "--systems",
        "comms",
        "--set",
        f"serverless-fleet:comms={json.dumps({'channelQueue': setting})}",
    )
    try:
        sqs = aws(stack, "sqs")
        url = sqs.get_queue_url(QueueName="ai-multi-comms-sms-queue-dev")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        dlq = sqs.get_queue_url(QueueName="ai-multi-comms-sms-dlq-dev")["QueueUrl"]
        dlq_attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])[
            "Attributes"
        ]
    finally:
        assert launched.stop() == 0
    assert attributes["VisibilityTimeout"] == "900"
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 5
    assert dlq_attributes["MessageRetentionPeriod"] == str(7 * 86400)


def test_a_schedule_fired_on_demand_fills_the_table_and_the_read_route_returns_it(
    local_stack: dict[str, Any],
) -> None:
    # What `make invoke APP=mentions FN=ingest_mentions` runs.
    invoked = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack",
            "invoke",
            "mentions",
            "ingest_mentions",
            "--state-dir",
            str(local_stack["state"]),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert invoked.returncode == 0, invoked.stderr
    # The shared stack may have ingested already (the console's test fires this schedule),
    # so the run's own counts vary; the table holding the demo mentions does not.
    assert '"mm-demo-001": "ingested"' in invoked.stderr
    url = f"{local_stack['apps']['mentions']}/mentions"
    key = {"x-api-key": local_stack["api_keys"]["mentions"]}

    response = requests.get(url, params={"source": "twitter"}, headers=key, timeout=10)

    assert response.status_code == 200
    mentions = response.json()["mentions"]
    assert [m["mention_id"] for m in mentions] == ["demo-000", "demo-003", "demo-006", "demo-009"]
    assert mentions[0]["text"] == "Clarify CV made my CV so much better (#0)"
    assert requests.get(url, params={"source": "twitter"}, timeout=10).status_code == 403
    assert requests.get(url, params={"limit": "x"}, headers=key, timeout=10).status_code == 400
    log = local_stack["state"] / "logs" / "mentions-ingest-mentions-dev.log"
    assert '"message":"project done"' in log.read_text()


def test_ctrl_c_stops_everything_and_frees_the_ports(built_packages: Path, tmp_path: Path) -> None:
    """A stack of its own, since the shared one serves other tests until the session ends;
    one system's, which starts in a few seconds."""
    launched, local_stack = start_stack(tmp_path, "--systems", "mentions")
    rule = "arn:aws:events:eu-north-1:123456789012:rule/manual-invoke"
    aws(local_stack, "lambda").invoke(  # a function process of the Lambda service too
        FunctionName="mentions-ingest-mentions-dev",
        Payload=json.dumps(scheduled_event(rule, "eu-north-1", datetime.now(UTC))).encode(),
    )
    started = children(launched.process.pid)
    # Every API, every queue's worker, and the function process just started.
    assert len(started) > len(local_stack["apps"])

    assert launched.stop() == 0

    assert not [pid for pid in started if running(pid)]
    fake_ports = [int(url.rsplit(":", 1)[1]) for url in local_stack["fakes"].values()]
    assert len(fake_ports) == len(local_stack["fakes"])
    assert not any(listening(port) for port in [*local_stack["ports"], *fake_ports])
    assert not (local_stack["state"] / "stack.json").exists()


def test_an_api_port_already_taken_is_refused_and_the_launcher_moves_on(
    built_packages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mentions' API port taken by another server: that start exits saying so, instead of
    calling that server its API, and the launcher starts the stack on other ports."""
    import socket

    from devstack import launch as launcher
    from devstack.declared import app_place
    from devstack.processes import free_port_block

    taken = socket.socket()
    first = free_port_block(len(SYSTEMS) + 1)
    taken.bind(("127.0.0.1", first + app_place("mentions")))
    taken.listen()
    blocks = iter([first])
    monkeypatch.setattr(
        launcher, "free_port_block", lambda count: next(blocks, None) or free_port_block(count)
    )
    try:
        launched, stack = start_stack(tmp_path, "--systems", "mentions")
    finally:
        taken.close()
    try:
        assert launched.http_port != first
        assert stack["apps"]["mentions"].endswith(f":{launched.http_port + app_place('mentions')}")
        answer = requests.get(
            f"{stack['apps']['mentions']}/mentions",
            params={"source": "twitter"},
            headers={"x-api-key": stack["api_keys"]["mentions"]},
            timeout=10,
        )
        assert answer.status_code == 200
        assert "mentions" in answer.json()
    finally:
        assert launched.stop() == 0
