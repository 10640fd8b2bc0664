"""State machines on the local stack: the program's definition is created in the moto server
and run by moto's executor; each Lambda task runs the declared function in its own warm
process (the local Lambda service), with the environment the program gives it. And schedules'
failed events: an asynchronous invocation that keeps failing ends, after its retries, as
Lambda's record in the function's on-failure destination; an event whose target does not
exist ends in the target's dead-letter queue.

No app of ours declares a state machine yet, so the program here is a small one around the
fixture app ``pipeline``, built from the same components (``ChaliceApp`` on a real
``chalice package``) and run by the same code the local stack uses."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pulumi_aws as aws
import pytest

from devstack.aws_server import LocalAwsServer
from devstack.declared import (
    AsyncInvokeConfig,
    DeclaredFunction,
    declared_functions,
    scheduled_targets,
    state_machine_arns,
)
from devstack.local_stack import LocalStack
from devstack.mocks import MotoMocks
from devstack.processes import free_port
from devstack.program import RecordingMocks, run_pulumi
from devstack.services.awslambda.service import FunctionHosts
from devstack.services.events.schedules import ScheduledTarget
from devstack.services.stepfunctions.executions import ExecutionWatcher, run_execution
from devstack.stack import execute_now, fire
from infra.components.chalice_app import ChaliceApp, ChaliceAppArgs
from infra.components.chalice_package import ChalicePackage, load_package
from infra.components.function import FunctionAccess
from infra.packaging import package_app
from infra.settings import load_settings
from tests.conftest import REGION

pytestmark = pytest.mark.e2e

FIXTURE_APPS = Path(__file__).parent.parent / "fixtures" / "chalice_apps"
HANDLERS = ("Double", "AlwaysFails", "Sleeps")
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
FAILED_EVENTS = "pipeline-failed-events-dev"
NOT_DECLARED = "arn:aws:lambda:eu-north-1:123456789012:function:pipeline-not-declared-dev"


def definitions(double: str, fails: str, sleeps: str) -> dict[str, dict[str, Any]]:
    """Three machines: both ways of calling Lambda, a failure retried then caught, and a
    task that outlives its function's timeout."""
    return {
        "pipeline-doubling-dev": {
            "StartAt": "DoubleByIntegration",
            "States": {
                "DoubleByIntegration": {
                    "Type": "Task",
                    "Resource": LAMBDA_INVOKE,
                    "Parameters": {"FunctionName": double, "Payload.$": "$"},
                    "OutputPath": "$.Payload",
                    "Next": "DoubleByArn",
                },
                "DoubleByArn": {"Type": "Task", "Resource": double, "End": True},
            },
        },
        "pipeline-recovering-dev": {
            "StartAt": "Fails",
            "States": {
                "Fails": {
                    "Type": "Task",
                    "Resource": fails,
                    "Retry": [
                        {
                            "ErrorEquals": ["StepFailedError"],
                            "MaxAttempts": 1,
                            "IntervalSeconds": 1,
                        }
                    ],
                    "Catch": [{"ErrorEquals": ["StepFailedError"], "Next": "Recovered"}],
                    "End": True,
                },
                "Recovered": {"Type": "Pass", "End": True},
            },
        },
        "pipeline-timing-out-dev": {
            "StartAt": "Sleeps",
            "States": {"Sleeps": {"Type": "Task", "Resource": sleeps, "End": True}},
        },
    }


def pipeline_program(package: ChalicePackage) -> Callable[[], None]:
    def program() -> None:
        tags = {"project": "serverless-fleet", "stack": "dev", "system": "pipeline"}
        app = ChaliceApp(
            "pipeline",
            ChaliceAppArgs(
                package=package,
                settings=load_settings(),
                tags=tags,
                access={h: FunctionAccess() for h in HANDLERS},
                alarm_topic_arn=aws.sns.Topic("pipeline-alerts", name="pipeline-alerts-dev").arn,
            ),
        )
        role = aws.iam.Role(
            "pipeline-states",
            name="pipeline-states-dev",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "states.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        failed_events = aws.sqs.Queue("failed-events", name=FAILED_EVENTS)
        aws.lambda_.FunctionEventInvokeConfig(
            "always-fails-async",
            function_name=app.functions["AlwaysFails"].function.name,
            maximum_retry_attempts=2,
            maximum_event_age_in_seconds=3600,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=failed_events.arn
                )
            ),
        )
        for rule_name, target_arn in (
            ("always-fails-hourly", app.functions["AlwaysFails"].arn),
            ("not-declared-hourly", NOT_DECLARED),
        ):
            rule = aws.cloudwatch.EventRule(
                rule_name, name=rule_name, schedule_expression="rate(1 hour)"
            )
            aws.cloudwatch.EventTarget(
                f"{rule_name}-target",
                rule=rule.name,
                arn=target_arn,
                retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=3600, maximum_retry_attempts=2
                ),
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(
                    arn=failed_events.arn
                ),
            )
        arns = [app.functions[h].arn for h in HANDLERS]
        machines = pulumi.Output.all(*arns).apply(lambda a: definitions(*a))
        for name in definitions("", "", ""):
            machine = aws.sfn.StateMachine(
                name,
                name=name,
                role_arn=role.arn,
                definition=pulumi.Output.json_dumps(machines[name]),
                tags=tags,
            )
            if name == "pipeline-doubling-dev":
                rule = aws.cloudwatch.EventRule(
                    "doubling-hourly", name="doubling-hourly", schedule_expression="rate(1 hour)"
                )
                aws.cloudwatch.EventTarget(
                    "doubling-hourly-target",
                    rule=rule.name,
                    arn=machine.arn,
                    role_arn=role.arn,
                    input=json.dumps({"value": 10}),
                )

    return program


@dataclass
class LocalPipeline:
    server: LocalAwsServer
    functions: FunctionHosts
    mocks: RecordingMocks
    console: list[str]
    log_dir: Path

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.server.url, region_name=REGION)

    def machine(self, name: str) -> str:
        return state_machine_arns(self.mocks)[name]

    def run(self, name: str, payload: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        """Start an execution, wait for its end; its description and history."""
        sfn = self.client("stepfunctions")
        execution = sfn.start_execution(
            stateMachineArn=self.machine(name), input=json.dumps(payload)
        )
        return self.wait(execution["executionArn"])

    def wait(self, execution_arn: str) -> tuple[dict[str, Any], list[Any]]:
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + 60
        while (described := sfn.describe_execution(executionArn=execution_arn))[
            "status"
        ] == "RUNNING":
            if time.monotonic() > deadline:
                pytest.fail(f"{execution_arn} still running after 60 s")
            time.sleep(0.1)
        return dict(described), sfn.get_execution_history(executionArn=execution_arn)["events"]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPipeline]:
    build = tmp_path_factory.mktemp("build")
    package_app("pipeline", build_dir=build, apps_dir=FIXTURE_APPS)
    package = load_package("pipeline", build_dir=build)
    log_dir = tmp_path_factory.mktemp("logs")
    console: list[str] = []
    functions = FunctionHosts("127.0.0.1", log_dir, apps_dir=FIXTURE_APPS, report=console.append)
    server = LocalAwsServer("127.0.0.1", free_port(), functions)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MOTO_PORT", raising=False)  # the server sets it: put back afterwards
        server.start()
        patch.setenv("AWS_ENDPOINT_URL", server.url)
        mocks = run_pulumi(pipeline_program(package), "dev", MotoMocks(REGION))
        local = {"AWS_ENDPOINT_URL": server.url, "AWS_DEFAULT_REGION": REGION}
        functions.declare(declared_functions(mocks).values(), lambda f: {**f.environment, **local})
        yield LocalPipeline(server, functions, mocks, console, log_dir)
        functions.stop()
        server.stop()


def test_the_declared_state_machines_are_created_in_moto_as_the_program_says(
    pipeline: LocalPipeline,
) -> None:
    sfn = pipeline.client("stepfunctions")
    described = sfn.describe_state_machine(
        stateMachineArn=pipeline.machine("pipeline-doubling-dev")
    )
    definition = json.loads(described["definition"])
    assert definition["States"]["DoubleByArn"]["Resource"] == (
        pipeline.functions.functions["pipeline-double-dev"].arn
    )
    assert described["roleArn"].endswith(":role/pipeline-states-dev")
    tags = sfn.list_tags_for_resource(resourceArn=described["stateMachineArn"])["tags"]
    assert {"key": "system", "value": "pipeline"} in tags


def test_both_kinds_of_lambda_task_run_the_declared_function_with_its_environment(
    pipeline: LocalPipeline,
) -> None:
    execution, history = pipeline.run("pipeline-doubling-dev", {"value": 3})

    assert execution["status"] == "SUCCEEDED"
    # 3 doubled by the integration, then by the plain ARN; the stack from the program's env.
    assert json.loads(execution["output"]) == {
        "value": 12,
        "stack": "dev",
        "function": "pipeline-double-dev",
    }
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history if "StateEntered" in e["type"]
    ]
    assert entered == ["DoubleByIntegration", "DoubleByArn"]
    # One process for both tasks: started by the first (a cold start), reused by the second.
    doubles = [line for line in pipeline.console if line.startswith("[lambda] pipeline-double-dev")]
    assert len(doubles) == 2
    assert "succeeded" in doubles[0] and "(cold start" in doubles[0]
    assert "succeeded" in doubles[1] and "cold start" not in doubles[1]


def test_a_failing_task_is_retried_as_the_definition_says_then_caught(
    pipeline: LocalPipeline,
) -> None:
    execution, history = pipeline.run("pipeline-recovering-dev", {"value": 7})

    failures = [e for e in history if e["type"] == "LambdaFunctionFailed"]
    assert len(failures) == 2  # the first attempt and the one retry
    assert failures[0]["lambdaFunctionFailedEventDetails"]["error"] == "StepFailedError"
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["Error"] == "StepFailedError"
    assert json.loads(output["Cause"])["errorMessage"] == "cannot handle 7"


def test_a_task_outliving_its_functions_timeout_fails_the_execution_and_the_next_runs(
    pipeline: LocalPipeline,
) -> None:
    execution, _ = pipeline.run("pipeline-timing-out-dev", {"seconds": 3})
    assert execution["status"] == "FAILED"
    assert execution["error"] == "Sandbox.Timedout"

    # The stopped process is started afresh for the next invocation.
    execution, _ = pipeline.run("pipeline-timing-out-dev", {"seconds": 0})
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"slept": 0}


def test_the_console_shows_each_transition_of_an_execution(pipeline: LocalPipeline) -> None:
    sfn = pipeline.client("stepfunctions")
    watcher = ExecutionWatcher(
        sfn, {"pipeline-recovering-dev": pipeline.machine("pipeline-recovering-dev")}
    )
    watcher.poll()  # what earlier tests ran
    execution = sfn.start_execution(
        stateMachineArn=pipeline.machine("pipeline-recovering-dev"), name="watched", input="{}"
    )
    pipeline.wait(execution["executionArn"])

    lines = watcher.poll()

    prefix = "[sfn] pipeline-recovering-dev/watched: "
    assert lines == [
        prefix + "started",
        prefix + "-> Fails",
        prefix + "task failed: StepFailedError: cannot handle None",
        prefix + "task failed: StepFailedError: cannot handle None",
        prefix + "-> Recovered",
        prefix + "SUCCEEDED",
    ]
    assert watcher.poll() == []  # reported once


def test_executions_started_without_a_name_get_one_each(pipeline: LocalPipeline) -> None:
    sfn = pipeline.client("stepfunctions")
    arns = [
        sfn.start_execution(
            stateMachineArn=pipeline.machine("pipeline-doubling-dev"),
            input=json.dumps({"value": v}),
        )["executionArn"]
        for v in (1, 2)
    ]
    assert len(set(arns)) == 2
    outputs = [json.loads(pipeline.wait(arn)[0]["output"])["value"] for arn in arns]
    assert outputs == [4, 8]


def test_a_schedule_targeting_a_state_machine_starts_an_execution_with_its_input(
    pipeline: LocalPipeline,
) -> None:
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    machine = pipeline.machine("pipeline-doubling-dev")
    (target,) = [t for t in scheduled_targets(pipeline.mocks, now) if t.target_arn == machine]
    local = LocalStack(stack="dev", host="127.0.0.1", moto_port=0, http_port=0, region=REGION)
    local.state_machines = state_machine_arns(pipeline.mocks)
    sfn = pipeline.client("stepfunctions")
    before = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}

    fire(local, target, now)

    (started,) = [
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=machine)["executions"]
        if e["executionArn"] not in before
    ]
    execution, _ = pipeline.wait(started)
    assert json.loads(execution["output"])["value"] == 40  # the target's input: 10, doubled twice


def test_lambda_invoke_runs_the_function_and_reports_its_error_as_lambda_does(
    pipeline: LocalPipeline,
) -> None:
    client = pipeline.client("lambda")

    ok = client.invoke(FunctionName="pipeline-double-dev", Payload=b'{"value": 5}')
    failed = client.invoke(
        FunctionName=pipeline.functions.functions["pipeline-always-fails-dev"].arn, Payload=b"{}"
    )
    queued = client.invoke(
        FunctionName="pipeline-double-dev", InvocationType="Event", Payload=b'{"value": 1}'
    )

    assert json.loads(ok["Payload"].read())["value"] == 10
    assert "FunctionError" not in ok
    assert failed["FunctionError"] == "Unhandled"
    error = json.loads(failed["Payload"].read())
    assert error["errorType"] == "StepFailedError"
    assert error["errorMessage"] == "cannot handle None"
    assert queued["StatusCode"] == 202
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="pipeline-double-dev", Payload=b"{not json")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="not-declared", Payload=b"{}")


def test_a_function_whose_process_cannot_start_fails_with_an_init_error(tmp_path: Path) -> None:
    console: list[str] = []
    functions = FunctionHosts("127.0.0.1", tmp_path, apps_dir=FIXTURE_APPS, report=console.append)
    missing = DeclaredFunction(
        name="pipeline-missing-dev",
        arn="arn:aws:lambda:eu-north-1:123456789012:function:pipeline-missing-dev",
        app="pipeline",
        handler="app.no_such_handler",
        timeout=3,
        memory=128,
        environment={},
    )
    functions.declare([missing], lambda f: f.environment)

    result = functions.invoke(missing, b"{}")

    assert result.error_type == "Runtime.InitError"
    assert "pipeline-missing-dev.log" in json.loads(result.payload)["errorMessage"]
    assert console == [
        f"[lambda] pipeline-missing-dev failed: Runtime.InitError in {result.seconds:.2f} s"
    ]


def test_execute_starts_an_execution_prints_its_transitions_and_its_output(
    pipeline: LocalPipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What `python -m devstack execute` reads from the running stack.
    description = {"aws_endpoint": pipeline.server.url, "region": REGION}
    (tmp_path / "stack.json").write_text(json.dumps(description))

    succeeded = execute_now("pipeline-doubling-dev", '{"value": 4}', tmp_path)
    printed = capsys.readouterr()
    failed = execute_now("pipeline-timing-out-dev", '{"seconds": 2}', tmp_path)

    assert succeeded == 0
    assert json.loads(printed.out)["value"] == 16
    lines = [line.split(": ", 1)[1] for line in printed.err.splitlines()]
    assert lines == ["started", "-> DoubleByIntegration", "-> DoubleByArn", "SUCCEEDED"]
    assert failed == 1
    assert json.loads(capsys.readouterr().out)["error"] == "Sandbox.Timedout"
    with pytest.raises(SystemExit, match="--input is not JSON"):
        execute_now("pipeline-doubling-dev", "{value", tmp_path)


def test_run_execution_names_the_machines_there_are_when_the_name_is_wrong(
    pipeline: LocalPipeline,
) -> None:
    with pytest.raises(LookupError, match="'pipeline-doubling-dev'"):
        run_execution(pipeline.client("stepfunctions"), "pipeline-dev", "{}", print)


def test_a_failing_asynchronous_invocation_is_tried_twice_more_then_dropped(
    pipeline: LocalPipeline, tmp_path: Path
) -> None:
    """Lambda's defaults, for a function without an invoke config: no destination."""
    console: list[str] = []
    functions = FunctionHosts(
        "127.0.0.1", tmp_path, apps_dir=FIXTURE_APPS, report=console.append, retry_delays=(0, 0)
    )
    declared = pipeline.functions.functions["pipeline-always-fails-dev"]
    unconfigured = dataclasses.replace(declared, async_config=AsyncInvokeConfig())
    functions.declare([unconfigured], lambda f: f.environment)
    try:
        functions.invoke_async(unconfigured, b"{}")
        deadline = time.monotonic() + 30
        while not any("dropped" in line for line in console) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        functions.stop()

    failed = [line for line in console if "failed: StepFailedError" in line]
    assert len(failed) == 3
    assert console[-1] == "[lambda] pipeline-always-fails-dev: event dropped after 3 attempts"
    assert "[lambda] pipeline-always-fails-dev: attempt 3 in 0 s" in console
    # Each attempt's traceback is in the function's log, as Lambda writes it.
    log = (tmp_path / "pipeline-always-fails-dev.log").read_text()
    assert log.count("StepFailedError: cannot handle None") == 3


def scheduled_to(pipeline: LocalPipeline, arn: str) -> ScheduledTarget:
    now = datetime.now(UTC)
    (target,) = [t for t in scheduled_targets(pipeline.mocks, now) if t.target_arn == arn]
    return target


def failed_events(pipeline: LocalPipeline) -> list[dict[str, Any]]:
    """Every message kept in the failed-events queue (taken off it)."""
    sqs = pipeline.client("sqs")
    url = sqs.get_queue_url(QueueName=FAILED_EVENTS)["QueueUrl"]
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=1
    ).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def test_a_scheduled_function_that_always_fails_leaves_its_event_in_the_failed_events_queue(
    pipeline: LocalPipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    console: list[str] = []
    functions = FunctionHosts(
        "127.0.0.1", tmp_path, apps_dir=FIXTURE_APPS, report=console.append, retry_delays=(0, 0)
    )
    functions.declare(pipeline.functions.functions.values(), lambda f: f.environment)
    always_fails = functions.functions["pipeline-always-fails-dev"]
    assert always_fails.async_config == AsyncInvokeConfig(2, 3600, pipeline_queue_arn(pipeline))
    local = LocalStack(stack="dev", host="127.0.0.1", moto_port=0, http_port=0, region=REGION)
    local.functions = functions
    target = scheduled_to(pipeline, always_fails.arn)
    try:
        fire(local, target, datetime.now(UTC))
        deadline = time.monotonic() + 30
        while not any("its record is in" in line for line in console):
            assert time.monotonic() < deadline, console
            time.sleep(0.05)
    finally:
        functions.stop()

    assert capsys.readouterr().err == f"[schedule] rate(1 hour) fired -> {always_fails.name}\n"
    assert len([line for line in console if "failed: StepFailedError" in line]) == 3
    assert console[-1] == (
        "[lambda] pipeline-always-fails-dev: event failed after 3 attempts (RetriesExhausted); "
        f"its record is in {FAILED_EVENTS}"
    )
    (message,) = failed_events(pipeline)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == f"{always_fails.arn}:$LATEST"
    assert record["requestPayload"]["detail-type"] == "Scheduled Event"
    assert record["requestPayload"]["resources"] == [target.rule]
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "StepFailedError"
    assert record["responsePayload"]["errorMessage"] == "cannot handle None"
    # Lambda's report of each attempt, in the function's log: what its Errors alarm reads.
    reports = [
        json.loads(line)
        for line in (tmp_path / "pipeline-always-fails-dev.log").read_text().splitlines()
        if '"platform.report"' in line
    ]
    assert [r["record"]["status"] for r in reports] == ["error"] * 3


def pipeline_queue_arn(pipeline: LocalPipeline) -> str:
    return str(pipeline.mocks.named("aws:sqs/queue:Queue", FAILED_EVENTS).outputs["arn"])


def test_no_retry_is_made_that_would_start_after_the_events_maximum_age(
    pipeline: LocalPipeline, tmp_path: Path
) -> None:
    console: list[str] = []
    functions = FunctionHosts(
        "127.0.0.1", tmp_path, apps_dir=FIXTURE_APPS, report=console.append, retry_delays=(61, 61)
    )
    declared = pipeline.functions.functions["pipeline-always-fails-dev"]
    config = AsyncInvokeConfig(2, 60, pipeline_queue_arn(pipeline))
    short_lived = dataclasses.replace(declared, async_config=config)
    functions.declare([short_lived], lambda f: f.environment)
    try:
        functions.invoke_async(short_lived, b'{"value": 3}')
        deadline = time.monotonic() + 30
        while not any("its record is in" in line for line in console):
            assert time.monotonic() < deadline, console
            time.sleep(0.05)
    finally:
        functions.stop()

    assert console[-1] == (
        "[lambda] pipeline-always-fails-dev: event failed after 1 attempt (EventAgeExceeded); "
        f"its record is in {FAILED_EVENTS}"
    )
    (message,) = failed_events(pipeline)
    record = json.loads(message["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"value": 3}


def test_an_event_whose_target_does_not_exist_is_kept_in_the_targets_dead_letter_queue(
    pipeline: LocalPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    local = LocalStack(stack="dev", host="127.0.0.1", moto_port=0, http_port=0, region=REGION)
    local.functions = pipeline.functions
    target = scheduled_to(pipeline, NOT_DECLARED)

    fire(local, target, datetime.now(UTC))

    (message,) = failed_events(pipeline)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {
        "ERROR_CODE": "ResourceNotFoundException",
        "ERROR_MESSAGE": f"Function not found: {NOT_DECLARED}",
        "RULE_ARN": target.rule,
        "TARGET_ARN": NOT_DECLARED,
        "RETRY_ATTEMPTS": "0",
    }
    assert json.loads(message["Body"])["resources"] == [target.rule]
    assert capsys.readouterr().err == (
        "[schedule] rate(1 hour) fired, not delivered (ResourceNotFoundException: Function not "
        f"found: {NOT_DECLARED}); event in {FAILED_EVENTS}\n"
    )
