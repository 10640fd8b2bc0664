"""trends' video pipeline as the program declares it (seed 002 §4-8), every stack, trends
declared alone: the state machine's definition read back as ASL (the budget Choice, the Map
and its concurrency, Retry on every Task, the Catch to the failure handler, the fallback,
the task token), its role (its functions and nothing else), the render events' rule and
queue, the upload's reserved concurrency and MediaConvert's role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.trends import names
from devstack.mocks import OfflineMocks
from devstack.program import DeclaredResource, RecordingMocks
from infra.settings import read_system_settings
from infra.systems.trends.pipeline import LAMBDA_WAIT_FOR_TOKEN, TRANSIENT_ERRORS
from infra.systems.trends.settings import TrendsSettings
from shared.names import physical
from tests.conftest import REGION
from tests.infra.conftest import STACKS
from tests.trends_support import declare_trends

MACHINE = "aws:sfn/stateMachine:StateMachine"
FUNCTION = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
PIPELINE_FUNCTIONS = (
    "plan-videos",
    "write-script",
    "narrate",
    "start-clips",
    "check-clips",
    "start-render",
    "upload-video",
    "mark-video-failed",
    "report-night",
)


@pytest.fixture(scope="module")
def declared(built_packages: Any) -> dict[str, RecordingMocks]:
    return {stack: declare_trends(stack, OfflineMocks(REGION)) for stack in STACKS}


def settings(stack: str) -> TrendsSettings:
    return read_system_settings(stack, "trends", TrendsSettings)


def definition(stack: RecordingMocks, name: str) -> dict[str, Any]:
    machine = stack.named(MACHINE, physical(names.PIPELINE_STATE_MACHINE, name))
    return dict(json.loads(machine.inputs["definition"]))


def all_states(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, the Map's processor's included."""
    for state_name, state in machine["States"].items():
        yield state_name, state
        if state["Type"] == "Map":
            yield from all_states(state["ItemProcessor"])


def function_arn(stack: RecordingMocks, stack_name: str, handler: str) -> str:
    return str(stack.named(FUNCTION, physical(f"trends-{handler}", stack_name)).outputs["arn"])


def statements(policy: DeclaredResource) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


@pytest.mark.parametrize("name", STACKS)
def test_the_night_plans_then_refuses_over_budget_then_maps_over_the_videos(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    machine = definition(declared[name], name)
    states = machine["States"]

    assert machine["StartAt"] == "Plan"
    assert states["Plan"]["Next"] == "BudgetGate"
    gate = states["BudgetGate"]
    assert gate["Type"] == "Choice"
    over, some = gate["Choices"]
    assert over == {
        "Variable": "$.budget.remaining_usd",
        "NumericLessThanPath": "$.budget.video_estimate_usd",
        "Next": "BudgetExhausted",
    }
    assert states["BudgetExhausted"]["Type"] == "Succeed"
    assert some["Next"] == "MakeVideos"
    videos = states["MakeVideos"]
    assert videos["Type"] == "Map"
    assert videos["ItemsPath"] == "$.videos"
    assert videos["MaxConcurrency"] == settings(name).video_pipeline.max_concurrency
    assert videos["Next"] == "Report"


@pytest.mark.parametrize("name", STACKS)
def test_every_task_retries_transient_faults_and_every_video_task_is_caught(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    machine = definition(declared[name], name)
    processor = machine["States"]["MakeVideos"]["ItemProcessor"]["States"]

    tasks = {n: s for n, s in all_states(machine) if s["Type"] == "Task"}
    assert len(tasks) == 9
    for state_name, task in tasks.items():
        (transient, *_) = task["Retry"]
        assert transient["ErrorEquals"] == TRANSIENT_ERRORS, state_name
        assert transient["BackoffRate"] > 1 and transient["MaxAttempts"] >= 1, state_name
    for state_name in ("WriteScript", "Narrate", "Render", "Upload"):
        (catch,) = processor[state_name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        assert catch["Next"] == "MarkFailed"
    # Clips that cannot be made lead to the fallback, not to a failed video.
    for state_name in ("StartClips", "CheckClips"):
        assert processor[state_name]["Catch"][0]["Next"] == "UseFallback"
    assert {c["Next"] for c in processor["ClipsReady"]["Choices"]} == {"Render", "UseFallback"}
    assert processor["ClipsReady"]["Default"] == "WaitForClips"
    assert processor["UseFallback"]["Next"] == "Render"
    assert processor["MarkFailed"]["End"] is True and "Catch" not in processor["MarkFailed"]


@pytest.mark.parametrize("name", STACKS)
def test_the_render_waits_on_a_task_token_and_the_tasks_are_the_pipeline_functions(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    machine = definition(stack, name)
    states = dict(all_states(machine))

    render = states["Render"]
    assert render["Resource"] == LAMBDA_WAIT_FOR_TOKEN
    assert render["Parameters"]["FunctionName"] == function_arn(stack, name, "start-render")
    assert render["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
    assert render["TimeoutSeconds"] == settings(name).video_pipeline.render_timeout_seconds
    assert states["WaitForClips"]["Seconds"] == settings(name).video_pipeline.clip_poll_seconds
    invoked = {s["Resource"] for n, s in states.items() if s["Type"] == "Task" and n != "Render"}
    invoked.add(render["Parameters"]["FunctionName"])
    assert invoked == {function_arn(stack, name, f) for f in PIPELINE_FUNCTIONS}


@pytest.mark.parametrize("name", STACKS)
def test_the_state_machine_may_invoke_its_functions_and_nothing_else(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    machine = stack.named(MACHINE, physical(names.PIPELINE_STATE_MACHINE, name))
    role_name = physical("trends-video-pipeline-states", name)
    role = stack.named(ROLE, role_name)
    assert machine.inputs["roleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}

    granted = statements(stack.named(POLICY, role_name))
    assert set(granted) == {"InvokeItsFunctions", "DeliverLogs"}
    invoke = granted["InvokeItsFunctions"]
    assert invoke["Action"] == ["lambda:InvokeFunction"]
    arns = {function_arn(stack, name, f) for f in PIPELINE_FUNCTIONS}
    assert set(invoke["Resource"]) == arns | {f"{arn}:*" for arn in arns}
    assert all(action.startswith("logs:") for action in granted["DeliverLogs"]["Action"])
    logging = machine.inputs["loggingConfiguration"]
    assert logging["level"] == "ERROR" and logging["logDestination"].endswith(":*")


@pytest.mark.parametrize("name", STACKS)
def test_mediaconvert_events_reach_the_render_queue_through_their_own_rule(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    rule = stack.named("aws:cloudwatch/eventRule:EventRule", physical("trends-render-events", name))
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.mediaconvert"]
    assert pattern["detail-type"] == ["MediaConvert Job State Change"]
    assert pattern["detail"]["userMetadata"] == {"system": ["trends"]}
    queue = stack.named("aws:sqs/queue:Queue", physical(names.RENDER_EVENTS_QUEUE, name))
    (target,) = [
        t
        for t in stack.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.inputs["rule"] == rule.outputs["name"]
    ]
    assert target.inputs["arn"] == queue.outputs["arn"]
    dlq = stack.named("aws:sqs/queue:Queue", physical(names.RENDER_EVENTS_DLQ, name))
    assert target.inputs["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}
    assert target.inputs["retryPolicy"]["maximumRetryAttempts"] >= 1
    (policy,) = [
        p
        for p in stack.of_type("aws:sqs/queuePolicy:QueuePolicy")
        if p.inputs["queueUrl"] == queue.outputs["url"]
    ]
    (allowed,) = json.loads(policy.inputs["policy"])["Statement"]
    assert allowed["Principal"] == {"Service": "events.amazonaws.com"}
    assert allowed["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}


@pytest.mark.parametrize("name", STACKS)
def test_uploads_have_reserved_concurrency_and_mediaconvert_only_the_videos_bucket(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    upload = stack.named(FUNCTION, physical("trends-upload-video", name))
    assert (
        upload.inputs["reservedConcurrentExecutions"]
        == settings(name).video_pipeline.upload_concurrency
    )
    (bucket,) = [
        b
        for b in stack.of_type("aws:s3/bucket:Bucket")
        if b.inputs["bucket"].startswith(physical(names.VIDEOS_BUCKET, name))
    ]
    role = stack.named(ROLE, physical("trends-mediaconvert", name))
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "mediaconvert.amazonaws.com"}
    (policy,) = [
        p
        for p in stack.of_type(POLICY)
        if p.inputs["role"] in (role.outputs.get("id"), role.outputs["name"])
    ]
    for statement in statements(policy).values():
        assert all(not a.endswith("*") for a in statement["Action"])
        assert all(r.startswith(f"{bucket.outputs['arn']}/") for r in statement["Resource"])
