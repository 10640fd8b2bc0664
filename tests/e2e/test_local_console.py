"""The local console in a real browser (Debian's chromium, driven by Playwright), against the
shared local stack, as an operator uses it: the systems with their APIs and a route tried
from its form; the comms conversations table and the item a request just created; a poison
message in the WhatsApp DLQ seen arriving (the live views refresh on their own), its
alarm's mail in the inbox, the message redriven (it fails again and comes back) and
deleted; the mentions schedule fired and its log lines; a function invoked with an event;
a fake's fault armed and cleared. No system declares a state machine yet, so the state
machines view is tried on a console of its own over the fixture app ``pipeline``'s program
(as tests/e2e/test_local_state_machines.py runs it).

Each test leaves the shared stack as it found it. A screenshot of each view is kept as
``build/console-screenshots/<view>.png``."""

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

from devstack.aws_server import LocalAwsServer
from devstack.console import start_console
from devstack.declared import declared_functions
from devstack.mocks import MotoMocks
from devstack.processes import free_port
from devstack.profiles.comms import DEMO_COMPANY_ID, DEMO_PROJECT_ID
from devstack.program import run_pulumi
from devstack.services.awslambda.service import FunctionHosts
from infra.components.chalice_package import load_package
from infra.packaging import package_app
from tests.conftest import REGION
from tests.e2e.support import CHROMIUM, aws, wait_for
from tests.e2e.test_local_state_machines import FIXTURE_APPS, pipeline_program

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
SCREENSHOTS = Path(__file__).parents[2] / "build" / "console-screenshots"


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


def screenshot(page: Page, view: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{view}.png"), full_page=True)


def test_the_systems_view_gives_each_api_with_its_key(
    page: Page, local_stack: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    comms = page.locator("#system-comms")

    expect(comms).to_contain_text(local_stack["apps"]["comms"])
    expect(comms.locator(".api-key")).to_have_text(local_stack["api_keys"]["comms"])
    expect(comms).to_contain_text("POST /initiate-conversation")
    expect(comms.locator("a", has_text="conversations-dev")).to_be_visible()
    for system in local_stack["apps"]:
        expect(page.locator(f"#system-{system}")).to_be_visible()
    screenshot(page, "systems")


def test_a_route_is_tried_from_its_form_with_the_key_it_needs(
    page: Page, local_stack: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    mentions = page.locator('#system-mentions .try[data-route="GET /mentions"]')
    mentions.locator("summary").click()
    mentions.locator('input[name="query"]').fill("source=twitter&limit=2")
    mentions.locator("button.send").click()
    config = page.locator('#system-trends .try[data-route="PUT /config"]')
    config.locator("summary").click()
    patch = page.locator('#system-patches .try[data-route="GET /patches/{patch_id}"]')
    patch.locator("summary").click()
    patch.locator('input[name="patch_id"]').fill("no-such-patch")
    patch.locator("button.send").click()

    expect(mentions.locator(".response .status")).to_have_text("200 OK", timeout=SLOW)
    listed = json.loads(mentions.locator(".response .body").text_content() or "{}")
    assert isinstance(listed["mentions"], list)
    expect(mentions.locator(".response small")).to_contain_text("/mentions?source=twitter&limit=2")
    expect(mentions.locator(".response .headers")).to_contain_text("application/json")
    expect(patch.locator(".response small")).to_contain_text("/patches/no-such-patch")
    # The app's own refusal, in the shared error shape.
    expect(patch.locator(".response .status")).to_have_text(re.compile(r"^4\d\d "), timeout=SLOW)
    expect(patch.locator(".response .body")).to_contain_text('"error_code"')
    # Behind a Cognito authorizer: the form asks for a token; without one, API Gateway's 401.
    expect(config).to_contain_text("Cognito authorizer TrendsUsers")
    expect(config.locator('textarea[name="token"]')).to_be_visible()
    expect(config.locator('textarea[name="body"]')).to_be_visible()
    config.locator("button.send").click()
    expect(config.locator(".response .status")).to_have_text(re.compile(r"^401 "), timeout=SLOW)
    screenshot(page, "try-it")


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
    page: Page, local_stack: dict[str, Any]
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
    screenshot(page, "tables")


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
    page: Page, local_stack: dict[str, Any]
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
    page.goto(f"{local_stack['console']}/#queues")
    dlq_depth = page.locator(f'#queues tr[data-queue="{WHATSAPP_QUEUE}"] .dlq-depth')
    expect(dlq_depth).to_have_text("0")
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    try:
        # Seen arriving without a reload, then the alarm's mail likewise.
        expect(dlq_depth).to_have_text("1", timeout=SLOW)
        page.goto(f"{local_stack['console']}/#alarms")
        mail = page.locator("#inbox .mail", has_text=f'ALARM: "{DLQ_ALARM}"')
        expect(mail.first).to_be_visible(timeout=SLOW)
        expect(page.locator(f'#alarms tr[data-alarm="{DLQ_ALARM}"] .state')).to_have_text("ALARM")
        expect(page.locator("#updated")).to_have_text(re.compile(r"^updated \d\d:\d\d:\d\d$"))
        screenshot(page, "alarms")

        page.goto(f"{local_stack['console']}/#queues")
        expect(dlq_depth).to_have_text("1")
        page.locator(f'#queues tr[data-queue="{WHATSAPP_QUEUE}"] a', has_text=WHATSAPP_DLQ).click()
        poisoned = page.locator("#messages .message", has_text=body)
        expect(poisoned).to_have_count(1)
        expect(poisoned.locator(".attributes")).to_contain_text("not_a_context")
        first_id = poisoned.get_attribute("data-id")
        screenshot(page, "queues")

        page.click("#redrive")
        expect(page.locator("#queue-status")).to_have_text("1 moved to the source queue")
        returned = page.locator("#messages .message", has_text=body)
        for _ in range(SLOW // 1000):  # back in the DLQ once the processor has seen it
            # Each look is read once the list is drawn (a message, or "no messages").
            expect(page.locator("#messages li").first).to_be_visible()
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


def test_a_live_view_refreshes_on_its_own_until_paused(
    page: Page, local_stack: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{local_stack['console']}/#alarms")
    updated = page.locator("#updated")
    expect(updated).to_have_attribute("data-runs", re.compile(r"\d+"))
    first = updated.get_attribute("data-runs")
    expect(updated).not_to_have_attribute("data-runs", first or "", timeout=SLOW)

    page.check("#pause")
    page.wait_for_function("() => !live.busy")  # a refresh under way when paused ends
    paused = updated.get_attribute("data-runs")
    page.wait_for_timeout(page.evaluate("REFRESH_MS") * 1.5)  # a refresh would have run
    assert updated.get_attribute("data-runs") == paused
    page.uncheck("#pause")
    expect(updated).not_to_have_attribute("data-runs", paused or "", timeout=SLOW)

    page.goto(f"{local_stack['console']}/#schedules")
    expect(page.locator("#live")).to_be_hidden()  # not a live view


def test_firing_the_mentions_schedule_shows_its_log_lines(
    page: Page, local_stack: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    log = Path(local_stack["logs"]) / f"{MENTIONS_FUNCTION}.log"
    runs_before = log.read_text().count("platform.report") if log.exists() else 0
    page.goto(f"{local_stack['console']}/#schedules")
    row = page.locator("#schedules tr", has_text=f"function:{MENTIONS_FUNCTION}")
    expect(row).to_have_count(1)
    next_fire = datetime.fromisoformat(row.locator(".next").text_content() or "")
    screenshot(page, "schedules")

    row.locator("button.fire").click()

    expect(page.locator("#function-name")).to_have_text(MENTIONS_FUNCTION)
    expect(page.locator("#function-log")).to_contain_text('"message":"project done"', timeout=SLOW)
    assert next_fire > datetime.now(UTC)
    assert wait_for(lambda: log.read_text().count("platform.report") > runs_before)
    screenshot(page, "functions")


def test_a_function_is_invoked_with_an_event_from_the_page(
    page: Page, local_stack: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{local_stack['console']}/#functions/{MENTIONS_FUNCTION}")
    page.fill("#event", json.dumps({"not": "a scheduled event"}))
    page.click("#invoke")

    # The handler reads the scheduled event's fields: this one fails, and says why.
    expect(page.locator("#invoke-result")).to_contain_text("failed:", timeout=SLOW)
    expect(page.locator("#invoke-result")).to_contain_text("errorType")
    screenshot(page, "invoke")


def test_a_fakes_fault_is_armed_and_cleared_from_the_page(
    page: Page, local_stack: dict[str, Any]
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
        screenshot(page, "faults")
        twilio.locator("button.clear").click()
        expect(twilio.locator(".armed li")).to_have_count(0)
    finally:
        requests.delete(control, timeout=10)

    assert [(f["path_contains"], f["status"], f["times_left"]) for f in armed] == [
        ("/Messages", 503, 2)
    ]
    assert requests.get(control, timeout=10).json()["faults"] == []


def _states(definition: dict[str, Any]) -> list[str]:
    """Every state of a definition, those in a Map's or a Parallel's too."""
    found = []
    for name, state in definition["States"].items():
        found.append(name)
        inner = [state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])]
        found += [n for scope in inner if scope for n in _states(scope)]
    return found


def test_each_state_machine_the_program_declares_is_drawn_with_every_state(
    page: Page, local_stack: dict[str, Any]
) -> None:
    """Whatever the systems declare (the trends pipeline, once it lands), from the
    definition the local stack created."""
    from playwright.sync_api import expect

    sfn = aws(local_stack, "stepfunctions")
    machines = sfn.list_state_machines()["stateMachines"]
    if not machines:
        pytest.skip("no system declares a state machine yet")
    for machine in machines:
        described = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
        page.goto(f"{local_stack['console']}/#machines/{machine['name']}")
        expect(page.locator("#machine-name")).to_have_text(machine["name"])
        for state in _states(json.loads(described["definition"])):
            expect(page.locator(f"#graph .state[data-state={json.dumps(state)}]")).to_have_count(1)
        screenshot(page, f"machine-{machine['name']}")


@pytest.fixture(scope="module")
def pipeline_console(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Any]]:
    """A console over the fixture app ``pipeline``'s program (its state machines run their
    Lambda tasks in the local Lambda service), as the local stack starts one."""
    build = tmp_path_factory.mktemp("build")
    package_app("pipeline", build_dir=build, apps_dir=FIXTURE_APPS)
    log_dir = tmp_path_factory.mktemp("logs")
    functions = FunctionHosts("127.0.0.1", log_dir, apps_dir=FIXTURE_APPS, report=print)
    server = LocalAwsServer("127.0.0.1", free_port(), functions)
    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id="local", aws_secret_access_key="local"
    )
    with pytest.MonkeyPatch.context() as patch, ExitStack() as exits:
        patch.delenv("MOTO_PORT", raising=False)  # the server sets it: put back afterwards
        server.start()
        exits.callback(server.stop)
        patch.setenv("AWS_ENDPOINT_URL", server.url)
        program = pipeline_program(load_package("pipeline", build_dir=build))
        mocks = run_pulumi(program, "dev", MotoMocks(REGION))
        local = {"AWS_ENDPOINT_URL": server.url, "AWS_DEFAULT_REGION": REGION}
        functions.declare(declared_functions(mocks).values(), lambda f: {**f.environment, **local})
        exits.callback(functions.stop)
        description = {
            "apps": {},
            "api_keys": {},
            "aws_endpoint": server.url,
            "logs": str(log_dir),
            "inbox": str(tmp_path_factory.mktemp("inbox")),
            "fault_controls": {},
        }
        url = start_console(mocks, description, session, [], lambda _: None, exits)
        yield url, session.client("stepfunctions", endpoint_url=server.url)


def test_an_execution_is_followed_on_the_machines_graph(
    browser: Browser, pipeline_console: tuple[str, Any]
) -> None:
    """The failing task is retried, then caught: it is drawn failed (and caught), the
    error on click; the catch edge is dashed and taken."""
    from playwright.sync_api import expect

    url, sfn = pipeline_console
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{url}/#machines/pipeline-recovering-dev")
        expect(page.locator("#graph svg")).to_be_visible()
        page.fill("#execution-input", '{"value": 7}')
        page.click("#start-execution")
        expect(page.locator("#executions li.chosen")).to_have_attribute(
            "data-status", "SUCCEEDED", timeout=SLOW
        )
        fails = page.locator('#graph .state[data-state="Fails"]')
        recovered = page.locator('#graph .state[data-state="Recovered"]')
        expect(recovered).to_have_class(re.compile(r"\bvisited\b"))
        expect(recovered).not_to_have_class(re.compile(r"\bfailed\b"))
        expect(fails).to_have_class(re.compile(r"\bfailed\b.*\bcaught\b"))
        expect(fails).to_have_attribute("data-steps", "1")
        catch = page.locator('#graph .edge.kind-catch[data-from="Fails"][data-to="Recovered"]')
        expect(catch).to_have_class(re.compile(r"\btaken\b"))
        assert catch.evaluate("e => getComputedStyle(e).strokeDasharray") not in ("", "none")
        fails.click()
        expect(page.locator("#state-detail")).to_contain_text("StepFailedError")
        expect(fails.locator("title")).to_contain_text("cannot handle 7")
        screenshot(page, "machines")

        machine = sfn.list_state_machines()["stateMachines"]
        arn = next(m for m in machine if m["name"] == "pipeline-recovering-dev")
        (started,) = sfn.list_executions(stateMachineArn=arn["stateMachineArn"])["executions"]
        assert json.loads(
            sfn.describe_execution(executionArn=started["executionArn"])["input"]
        ) == {"value": 7}
    finally:
        context.close()


def test_a_task_that_times_out_is_drawn_failed_with_its_error(
    browser: Browser, pipeline_console: tuple[str, Any]
) -> None:
    from playwright.sync_api import expect

    url, _ = pipeline_console
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{url}/#machines/pipeline-timing-out-dev")
        page.fill("#execution-input", '{"seconds": 3}')
        page.click("#start-execution")
        expect(page.locator("#executions li.chosen")).to_have_attribute(
            "data-status", "FAILED", timeout=SLOW
        )
        sleeps = page.locator('#graph .state[data-state="Sleeps"]')
        expect(sleeps).to_have_class(re.compile(r"\bfailed\b"))
        expect(sleeps).not_to_have_class(re.compile(r"\bcaught\b"))
        expect(sleeps).to_have_attribute("data-error", re.compile("Sandbox.Timedout"))
        expect(page.locator("#history .error").last).to_contain_text("Sandbox.Timedout")
    finally:
        context.close()
