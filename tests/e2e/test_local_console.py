"""The local console in a real browser (Debian's chromium, driven by Playwright), against the
shared local stack, as an operator uses it: the systems with their APIs; the comms
conversations table and the item a request just created; a poison message in the WhatsApp
DLQ, its alarm's mail in the inbox, the message redriven (it fails again and comes back)
and deleted; the mentions schedule fired and its log lines; a function invoked with an
event; a fake's fault armed and cleared. No system declares a state machine yet, so the
state machines view is tried on a console of its own over a moto server holding one.

Each test leaves the shared stack as it found it. A screenshot of each view is kept under
the test's tmp directory (``console-<view>.png``)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer
from pulumi.runtime.mocks import MockResourceArgs

from devstack.console import start_console
from devstack.fake_arns import ACCOUNT_ID
from devstack.profiles.comms import DEMO_COMPANY_ID, DEMO_PROJECT_ID
from devstack.program import DeclaredResource, RecordingMocks
from tests.e2e.support import CHROMIUM, aws, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium executable (make install puts Debian's there)"
    ),
]

WHATSAPP_QUEUE = "ai-multi-comms-whatsapp-queue-dev"
WHATSAPP_DLQ = "ai-multi-comms-whatsapp-dlq-dev"
DLQ_ALARM = f"{WHATSAPP_DLQ}-not-empty"
MENTIONS_FUNCTION = "mentions-ingest-mentions-dev"
# How long the page may take to show what the stack does in the background.
SLOW = 60_000


@pytest.fixture
def page(browser: Browser, local_stack: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(
        locale="en-GB", timezone_id="UTC", viewport={"width": 1400, "height": 1000}
    )
    opened = context.new_page()
    opened.on("console", lambda m: print("console:", m.text))  # kept in the report
    opened.goto(local_stack["console"] + "/")
    try:
        yield opened
    finally:
        context.close()


def screenshot(page: Page, tmp_path: Path, view: str) -> None:
    page.screenshot(path=str(tmp_path / f"console-{view}.png"), full_page=True)


def test_the_systems_view_gives_each_api_with_its_key(
    page: Page, local_stack: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    comms = page.locator("#system-comms")

    expect(comms).to_contain_text(local_stack["apps"]["comms"])
    expect(comms.locator(".api-key")).to_have_text(local_stack["api_keys"]["comms"])
    expect(comms).to_contain_text("POST /initiate-conversation")
    expect(comms.locator("a", has_text="conversations-dev")).to_be_visible()
    for system in local_stack["apps"]:
        expect(page.locator(f"#system-{system}")).to_be_visible()
    screenshot(page, tmp_path, "systems")


def _request_email(local_stack: dict[str, Any], address: str) -> str:
    accepted = requests.post(
        f"{local_stack['apps']['comms']}/initiate-conversation",
        headers={"x-api-key": local_stack["api_keys"]["comms"]},
        json={
            "company_data": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID},
            "recipient_data": {
                "recipient_first_name": "Lee",
                "recipient_email": address,
                "comms_consent": True,
            },
            "project_data": {"jobRole": "Healthcare Assistant"},
            "request_data": {
                "request_id": str(uuid.uuid4()),
                "channel_method": "email",
                "initial_request_timestamp": "2026-11-23T08:00:00Z",
            },
        },
        timeout=10,
    )
    assert accepted.status_code == 200, accepted.text
    return str(accepted.json()["conversation_id"])


def test_the_conversations_table_shows_the_item_a_request_just_created(
    page: Page, local_stack: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    address = f"lee.{uuid.uuid4().hex[:8]}@example.com"
    conversation_id = _request_email(local_stack, address)
    key = {"primary_channel": {"S": address}, "conversation_id": {"S": conversation_id}}
    # The processor writes it, from the queue: once it has, the page is opened.
    wait_for(
        lambda: (
            aws(local_stack, "dynamodb")
            .get_item(TableName="conversations-dev", Key=key)
            .get("Item")
        )
    )
    page.reload()

    page.locator("#system-comms a", has_text="conversations-dev").click()
    expect(page.locator("#table-name")).to_have_text("conversations-dev")
    row = page.locator("#items tr.item", has_text=address)
    number = 1
    expect(page.locator("#items")).to_have_attribute("data-page", "1")
    while not row.count():  # page by page until it turns up
        if page.locator("#next-page").is_hidden():
            pytest.fail(f"no item for {address} on any of {number} pages")
        page.click("#next-page")
        number += 1
        expect(page.locator("#items")).to_have_attribute("data-page", str(number))
    row.click()
    item = json.loads(page.locator("#item-json").text_content() or "{}")

    page.fill("#query-hash", address)  # the table's hash key: primary_channel
    page.click("#query")
    expect(page.locator("#items")).to_have_attribute("data-path", re.compile("/query"))

    assert item["primary_channel"] == address
    assert item["conversation_id"] == conversation_id
    expect(page.locator("#hash-label")).to_have_text("primary_channel")
    expect(page.locator("#items tr.item")).to_have_count(1)
    expect(page.locator("#items tr.item")).to_contain_text(conversation_id[:20])
    screenshot(page, tmp_path, "tables")


def _dlq_alarm_state(local_stack: dict[str, Any]) -> str:
    (alarm,) = aws(local_stack, "cloudwatch").describe_alarms(AlarmNames=[DLQ_ALARM])[
        "MetricAlarms"
    ]
    return str(alarm["StateValue"])


def _dlq_mail(inbox: Path) -> set[Path]:
    return set(inbox.glob(f"*-{DLQ_ALARM}-*.json"))


def _empty(sqs: Any, url: str) -> None:
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_poison_message_in_the_whatsapp_dlq_is_redriven_deleted_and_its_alarm_mailed(
    page: Page, local_stack: dict[str, Any], tmp_path: Path
) -> None:
    """The message fails again once redriven (it is poison), so it comes back to the DLQ with
    a new id; that one is deleted from the page."""
    from playwright.sync_api import expect

    sqs = aws(local_stack, "sqs")
    queue = sqs.get_queue_url(QueueName=WHATSAPP_QUEUE)["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=WHATSAPP_DLQ)["QueueUrl"]
    inbox = Path(local_stack["inbox"])
    _empty(sqs, dlq)
    wait_for(lambda: _dlq_alarm_state(local_stack) != "ALARM")
    mail_before = _dlq_mail(inbox)
    body = json.dumps({"not": "a context object", "mark": uuid.uuid4().hex})
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    try:
        wait_for(lambda: [p for p in _dlq_mail(inbox) - mail_before if "-ALARM-" in p.name])

        page.goto(f"{local_stack['console']}/#alarms")
        mail = page.locator("#inbox .mail", has_text=f'ALARM: "{DLQ_ALARM}"')
        expect(mail.first).to_be_visible()
        expect(page.locator(f'#alarms tr[data-alarm="{DLQ_ALARM}"] .state')).to_have_text("ALARM")
        screenshot(page, tmp_path, "alarms")

        page.goto(f"{local_stack['console']}/#queues")
        dlq_depth = page.locator(f'#queues tr[data-queue="{WHATSAPP_QUEUE}"] .dlq-depth')
        expect(dlq_depth).to_have_text("1")
        page.locator(f'#queues tr[data-queue="{WHATSAPP_QUEUE}"] a', has_text=WHATSAPP_DLQ).click()
        poisoned = page.locator("#messages .message", has_text=body)
        expect(poisoned).to_have_count(1)
        expect(poisoned.locator(".attributes")).to_contain_text("not_a_context")
        first_id = poisoned.get_attribute("data-id")
        screenshot(page, tmp_path, "queues")

        page.click("#redrive")
        expect(page.locator("#queue-status")).to_have_text("1 moved to the source queue")
        returned = page.locator("#messages .message", has_text=body)
        for _ in range(SLOW // 1000):  # back in the DLQ once the processor has seen it
            if returned.count() and returned.get_attribute("data-id") != first_id:
                break
            page.wait_for_timeout(1000)
            page.reload()
        again_id = returned.get_attribute("data-id")
        assert again_id is not None and again_id != first_id
        returned.locator("button.delete").click()
        expect(page.locator("#queue-status")).to_have_text(f"{again_id} deleted")
        expect(page.locator("#messages .message", has_text=body)).to_have_count(0)
        assert not sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0).get("Messages")
    finally:
        _empty(sqs, dlq)
        wait_for(lambda: _dlq_alarm_state(local_stack) == "OK", timeout=60)
        for path in _dlq_mail(inbox) - mail_before:
            path.unlink()


def test_firing_the_mentions_schedule_shows_its_log_lines(
    page: Page, local_stack: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    log = Path(local_stack["logs"]) / f"{MENTIONS_FUNCTION}.log"
    runs_before = log.read_text().count("platform.report") if log.exists() else 0
    page.goto(f"{local_stack['console']}/#schedules")
    row = page.locator("#schedules tr", has_text=f"function:{MENTIONS_FUNCTION}")
    expect(row).to_have_count(1)
    next_fire = datetime.fromisoformat(row.locator(".next").text_content() or "")
    screenshot(page, tmp_path, "schedules")

    row.locator("button.fire").click()

    expect(page.locator("#function-name")).to_have_text(MENTIONS_FUNCTION)
    expect(page.locator("#function-log")).to_contain_text('"message":"project done"', timeout=SLOW)
    assert next_fire > datetime.now(UTC)
    assert wait_for(lambda: log.read_text().count("platform.report") > runs_before)
    screenshot(page, tmp_path, "functions")


def test_a_function_is_invoked_with_an_event_from_the_page(
    page: Page, local_stack: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{local_stack['console']}/#functions/{MENTIONS_FUNCTION}")
    page.fill("#event", json.dumps({"not": "a scheduled event"}))
    page.click("#invoke")

    # The handler reads the scheduled event's fields: this one fails, and says why.
    expect(page.locator("#invoke-result")).to_contain_text("failed:", timeout=SLOW)
    expect(page.locator("#invoke-result")).to_contain_text("errorType")
    screenshot(page, tmp_path, "invoke")


def test_a_fakes_fault_is_armed_and_cleared_from_the_page(
    page: Page, local_stack: dict[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    control = local_stack["fault_controls"]["twilio"]
    page.goto(f"{local_stack['console']}/#faults")
    twilio = page.locator('.fake[data-fake="twilio"]')
    try:
        twilio.locator('input[name="path_contains"]').fill("/Messages")
        twilio.locator('input[name="status"]').fill("503")
        twilio.locator('input[name="times"]').fill("2")
        twilio.locator('button[type="submit"]').click()
        expect(twilio.locator(".armed li")).to_have_text('503 on "/Messages" (2 left)')
        armed = requests.get(control, timeout=10).json()["faults"]
        screenshot(page, tmp_path, "faults")
        twilio.locator("button.clear").click()
        expect(twilio.locator(".armed li")).to_have_count(0)
    finally:
        requests.delete(control, timeout=10)

    assert [(f["path_contains"], f["status"], f["times_left"]) for f in armed] == [
        ("/Messages", 503, 2)
    ]
    assert requests.get(control, timeout=10).json()["faults"] == []


PIPELINE = "demo-pipeline-dev"
PIPELINE_DEFINITION = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Work"}],
            "Default": "Stop",
        },
        "Work": {"Type": "Pass", "End": True},
        "Stop": {"Type": "Fail", "Error": "NotToday", "Cause": "go was false"},
    },
}


class _Record(RecordingMocks):
    """The program's record for a machine created by hand in the moto server."""

    def create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        raise AssertionError("not run as a program")


@pytest.fixture
def machine_console(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A console over a moto server (executions run, as on the local stack) whose program
    declares one state machine."""
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    requests.post(
        f"{endpoint}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
        timeout=10,
    ).raise_for_status()
    session = boto3.session.Session(
        region_name="eu-north-1", aws_access_key_id="local", aws_secret_access_key="local"
    )
    sfn = session.client("stepfunctions", endpoint_url=endpoint)
    arn = sfn.create_state_machine(
        name=PIPELINE,
        definition=json.dumps(PIPELINE_DEFINITION),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/demo",
    )["stateMachineArn"]
    record = _Record("eu-north-1")
    record.resources = [
        DeclaredResource(
            "aws:sfn/stateMachine:StateMachine",
            PIPELINE,
            {
                "name": PIPELINE,
                "definition": json.dumps(PIPELINE_DEFINITION),
                "tags": {"system": "demo"},
            },
            PIPELINE,
            {"arn": arn},
        )
    ]
    description = {
        "apps": {},
        "api_keys": {},
        "aws_endpoint": endpoint,
        "logs": str(tmp_path / "logs"),
        "inbox": str(tmp_path / "inbox"),
        "fault_controls": {},
    }
    try:
        with ExitStack() as exits:
            yield start_console(record, description, session, [], lambda _: None, exits), sfn
    finally:
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        moto.stop()


def test_an_executions_path_is_drawn_on_the_machines_graph(
    browser: Browser, machine_console: tuple[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, sfn = machine_console
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{url}/#machines/{PIPELINE}")
        page.fill("#execution-input", '{"go": false}')
        page.click("#start-execution")
        expect(page.locator("#executions li")).to_have_attribute(
            "data-status", "FAILED", timeout=SLOW
        )
        machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        (started,) = sfn.list_executions(stateMachineArn=machine)["executions"]
        assert json.loads(
            sfn.describe_execution(executionArn=started["executionArn"])["input"]
        ) == {"go": False}

        graph = page.locator("#graph .state")
        expect(graph).to_have_count(3)
        expect(page.locator('#graph .state[data-state="Check"]')).to_have_class("state visited")
        expect(page.locator('#graph .state[data-state="Stop"]')).to_have_class(
            "state visited failed"
        )
        expect(page.locator('#graph .state[data-state="Work"]')).to_have_class("state")
        expect(page.locator('#graph .state[data-state="Check"] .goes')).to_have_text("→ Work, Stop")
        expect(page.locator("#history .error").last).to_contain_text("NotToday")
        screenshot(page, tmp_path, "machines")
    finally:
        context.close()
