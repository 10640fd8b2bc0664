"""What the program makes of a package: functions, SQS sources, schedules, API, and the
guards that stop a bad package before anything is deployed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest

from devstack.program import run_pulumi
from infra.components.alerts import AlertTopic, AlertTopicArgs
from infra.components.chalice_app import ChaliceApp, ChaliceAppArgs
from infra.components.chalice_package import (
    ChalicePackage,
    PackageMissingError,
    load_package,
)
from infra.components.failed_events import FailedEventsArgs, FailedEventsQueue
from infra.components.function import FunctionAccess
from infra.components.queue import QueueWithDlq, QueueWithDlqArgs
from infra.packaging import package_app
from infra.settings import QueueSettings, load_settings
from tests.conftest import REGION
from tests.infra.conftest import FakeAwsMocks, policy_statements, urn

FIXTURE_APPS = Path(__file__).parent.parent / "fixtures" / "chalice_apps"
HANDLERS = ("APIHandler", "WorkProcessor", "Tick", "Nightly")


@pytest.fixture(scope="module")
def sample_package(tmp_path_factory: pytest.TempPathFactory) -> ChalicePackage:
    build = tmp_path_factory.mktemp("build")
    package_app("sample", build_dir=build, apps_dir=FIXTURE_APPS)
    return load_package("sample", build_dir=build)


def sample_program(
    package: ChalicePackage,
    visibility_seconds: int = 600,
    access: dict[str, FunctionAccess] | None = None,
    keyless_paths: dict[str, str] | None = None,
) -> Callable[[], None]:
    def program() -> None:
        settings = load_settings()
        tags = {"project": "serverless-fleet", "stack": "dev", "system": "sample"}
        topic = AlertTopic(
            "alerts", AlertTopicArgs("sample-alerts-dev", "a@example.com", "eu-north-1", tags)
        )
        queue = QueueWithDlq(
            "work",
            QueueWithDlqArgs(
                queue_name="sample-work-dev",
                dlq_name="sample-work-dlq-dev",
                settings=QueueSettings(
                    visibility_timeout_seconds=visibility_seconds,
                    max_receive_count=3,
                    dlq_retention_days=14,
                ),
                alarm_topic_arn=topic.arn,
                tags=tags,
                protect=False,
            ),
        )
        failed_events = FailedEventsQueue(
            "failed", FailedEventsArgs("sample-failed-events-dev", topic.arn, tags, False)
        )
        ChaliceApp(
            "sample",
            ChaliceAppArgs(
                package=package,
                settings=settings,
                tags=tags,
                access=access if access is not None else {h: FunctionAccess() for h in HANDLERS},
                queues={"work": queue},
                schedules={"Tick": "rate(2 hours)"},
                api_name="sample-dev-api",
                keyless_paths=keyless_paths or {},
                alarm_topic_arn=topic.arn,
                failed_events=failed_events,
            ),
        )
        failed_events.seal()
        pulumi.export("done", True)

    return program


def test_the_package_lists_every_handler_with_its_events(sample_package: ChalicePackage) -> None:
    handlers = sample_package.handlers
    assert set(handlers) == set(HANDLERS)
    assert handlers["WorkProcessor"].sqs_sources[0].queue == "work"
    assert handlers["WorkProcessor"].sqs_sources[0].batch_size == 7
    assert handlers["Tick"].schedules == ("rate(5 minutes)",)
    assert handlers["Nightly"].schedules == ("cron(0 6 * * ? *)",)
    assert handlers["APIHandler"].timeout_seconds == 60


def test_an_sqs_handler_gets_a_mapping_that_reports_item_failures(
    sample_package: ChalicePackage,
) -> None:
    stack = run_pulumi(sample_program(sample_package), "dev", FakeAwsMocks(REGION))

    queue = stack.named("aws:sqs/queue:Queue", "sample-work-dev")
    function = stack.named("aws:lambda/function:Function", "sample-work-processor-dev")
    (mapping,) = stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["eventSourceArn"] == queue.outputs["arn"]
    assert mapping.inputs["functionName"] == function.outputs["arn"]
    assert mapping.inputs["batchSize"] == 7
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["tags"]["system"] == "sample"
    consume = [
        s
        for p, s in policy_statements(stack)
        if p.inputs["name"] == "sample-work-processor-dev-policy" and s["Sid"] == "ConsumeOwnQueue"
    ]
    assert consume == [
        {
            "Effect": "Allow",
            "Sid": "ConsumeOwnQueue",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": [queue.outputs["arn"]],
        }
    ]


def test_schedules_come_from_the_package_unless_the_stack_overrides_them(
    sample_package: ChalicePackage,
) -> None:
    stack = run_pulumi(sample_program(sample_package), "dev", FakeAwsMocks(REGION))

    rules = {r.name: r for r in stack.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert rules["sample-tick-schedule-0"].inputs["scheduleExpression"] == "rate(2 hours)"
    assert rules["sample-nightly-schedule-0"].inputs["scheduleExpression"] == "cron(0 6 * * ? *)"
    targets = {t.inputs["rule"]: t for t in stack.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    permissions = [
        p
        for p in stack.of_type("aws:lambda/permission:Permission")
        if p.inputs["principal"] == "events.amazonaws.com"
    ]
    for handler, function_name in (("tick", "sample-tick-dev"), ("nightly", "sample-nightly-dev")):
        rule = rules[f"sample-{handler}-schedule-0"]
        function = stack.named("aws:lambda/function:Function", function_name)
        assert targets[rule.outputs["name"]].inputs["arn"] == function.outputs["arn"], urn(rule)
        assert any(
            p.inputs["sourceArn"] == rule.outputs["arn"] and p.inputs["function"] == function_name
            for p in permissions
        ), urn(rule)


def test_a_queue_that_would_redeliver_work_in_progress_is_refused(
    sample_package: ChalicePackage,
) -> None:
    with pytest.raises(ValueError, match="visibility timeout of 300s, under 6 x"):
        run_pulumi(
            sample_program(sample_package, visibility_seconds=300), "dev", FakeAwsMocks(REGION)
        )


def test_a_handler_without_declared_access_is_refused(sample_package: ChalicePackage) -> None:
    access = {h: FunctionAccess() for h in HANDLERS if h != "Nightly"}
    with pytest.raises(ValueError, match=r"no access declared for handlers \['Nightly'\]"):
        run_pulumi(sample_program(sample_package, access=access), "dev", FakeAwsMocks(REGION))


def test_a_route_without_an_api_key_is_refused_unless_listed_keyless(
    sample_package: ChalicePackage,
) -> None:
    swagger = json.loads(json.dumps(sample_package.swagger))
    del swagger["paths"]["/things"]["get"]["security"]
    open_package = ChalicePackage(
        app=sample_package.app,
        zip_path=sample_package.zip_path,
        handlers=sample_package.handlers,
        swagger=swagger,
        api_handler="APIHandler",
    )
    with pytest.raises(ValueError, match="GET /things does not require an API key"):
        run_pulumi(sample_program(open_package), "dev", FakeAwsMocks(REGION))

    stack = run_pulumi(
        sample_program(open_package, keyless_paths={"/things": "public catalogue"}),
        "dev",
        FakeAwsMocks(REGION),
    )
    assert stack.of_type("aws:apigateway/restApi:RestApi")


def test_a_missing_package_says_to_run_make_package(tmp_path: Path) -> None:
    with pytest.raises(PackageMissingError, match="run `make package`"):
        load_package("comms", build_dir=tmp_path)


def test_a_template_with_an_unsupported_event_is_refused(
    sample_package: ChalicePackage, tmp_path: Path
) -> None:
    shutil.copytree(sample_package.zip_path.parent, tmp_path / "sample")
    template = json.loads((tmp_path / "sample" / "sam.json").read_text())
    template["Resources"]["Tick"]["Properties"]["Events"]["TickEvent"]["Type"] = "S3"
    (tmp_path / "sample" / "sam.json").write_text(json.dumps(template))
    with pytest.raises(ValueError, match="of type S3 is not supported"):
        load_package("sample", build_dir=tmp_path)


def test_the_local_stack_finds_every_scheduled_function_of_a_program(
    sample_package: ChalicePackage,
) -> None:
    from datetime import UTC, datetime

    from devstack.declared import declared_functions, scheduled_targets

    stack = run_pulumi(sample_program(sample_package), "dev", FakeAwsMocks(REGION))
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    functions = {f.arn: f for f in declared_functions(stack).values()}

    targets = {functions[t.target_arn].name: t for t in scheduled_targets(stack, now)}

    assert set(targets) == {"sample-tick-dev", "sample-nightly-dev"}
    assert targets["sample-tick-dev"].schedule.expression == "rate(2 hours)"  # stack override
    assert targets["sample-tick-dev"].next_fire == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert targets["sample-nightly-dev"].next_fire == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    nightly = functions[targets["sample-nightly-dev"].target_arn]
    assert nightly.handler == "app.nightly"
    assert nightly.environment["FLEET_STACK"] == "dev"
    assert targets["sample-nightly-dev"].input is None  # EventBridge sends the event
