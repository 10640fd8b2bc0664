"""What ``MotoMocks`` makes of resources the apps do not declare yet but the local stack must
create when they do (trends' state machines, csvchat's buckets): the program's inputs, in
moto (in-process here; the local stack's server in ``make dev``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import botocore
import moto
import pulumi
import pulumi_aws as aws
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from devstack.mocks import MotoMocks, UnroutedCallError
from devstack.program import RecordingMocks, run_pulumi
from devstack.pulumi_mocks import MockResourceArgs
from tests.conftest import REGION

TAGS = {"project": "serverless-fleet", "stack": "dev", "system": "trends"}
DEFINITION = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": True}}}


def program() -> None:
    aws.s3.Bucket("videos", bucket="trends-videos-dev", tags=TAGS)
    logs = aws.cloudwatch.LogGroup("pipeline-logs", name="/aws/states/trends-pipeline-dev")
    aws.sfn.StateMachine(
        "pipeline",
        name="trends-pipeline-dev",
        role_arn="arn:aws:iam::123456789012:role/trends-pipeline-dev",
        definition=json.dumps(DEFINITION),
        type="STANDARD",
        logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
            level="ERROR",
            include_execution_data=True,
            log_destination=pulumi.Output.concat(logs.arn, ":*"),
        ),
        tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=True),
        tags=TAGS,
    )


@pytest.fixture
def created() -> Iterator[RecordingMocks]:
    with mock_aws():
        yield run_pulumi(program, "dev", MotoMocks(REGION))


def test_a_declared_bucket_is_created_in_the_stacks_region_with_its_tags(
    created: RecordingMocks,
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    bucket = created.of_type("aws:s3/bucket:Bucket")[0]

    assert bucket.outputs["arn"] == "arn:aws:s3:::trends-videos-dev"
    location = s3.get_bucket_location(Bucket="trends-videos-dev")["LocationConstraint"]
    assert location == REGION
    tags = s3.get_bucket_tagging(Bucket="trends-videos-dev")["TagSet"]
    assert {"Key": "system", "Value": "trends"} in tags


def test_a_declared_state_machine_is_created_with_its_definition_logging_and_tags(
    created: RecordingMocks,
) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    (machine,) = created.of_type("aws:sfn/stateMachine:StateMachine")

    described = sfn.describe_state_machine(stateMachineArn=machine.outputs["arn"])

    assert described["name"] == "trends-pipeline-dev"
    assert json.loads(described["definition"]) == DEFINITION
    assert described["roleArn"] == "arn:aws:iam::123456789012:role/trends-pipeline-dev"
    assert described["type"] == "STANDARD"
    logging = described["loggingConfiguration"]
    assert logging["level"] == "ERROR" and logging["includeExecutionData"]
    destination = logging["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"]
    assert destination.endswith("log-group:/aws/states/trends-pipeline-dev:*")
    assert described["tracingConfiguration"] == {"enabled": True}
    tags = sfn.list_tags_for_resource(resourceArn=machine.outputs["arn"])["tags"]
    assert {"key": "system", "value": "trends"} in tags


def test_a_call_moto_cannot_route_fails_at_start_naming_service_operation_and_versions() -> None:
    # What botocore 1.44.18 met on moto 5.2.6: Athena's operations sent on REST paths that
    # moto does not serve, answered 404 "Not yet implemented" (given here at the wire).
    class _Raw:
        def stream(self, **_: object) -> Iterator[bytes]:
            yield b"<html>Not yet implemented</html>"

    def not_routed(**_: object) -> AWSResponse:
        return AWSResponse("http://localhost/workgroups", 404, {}, _Raw())

    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-send.athena.CreateWorkGroup", not_routed)

    # The mocks alone, not a program run: a program that fails leaves its pending
    # registrations in Pulumi's process-wide runtime, where the next run would meet them.
    declared = MockResourceArgs(
        "aws:athena/workgroup:Workgroup", "queries", {"name": "csvchat-dev"}, custom=True
    )

    with mock_aws(), pytest.raises(UnroutedCallError) as raised:
        MotoMocks(REGION, session).create(declared)

    message = str(raised.value)
    assert "athena CreateWorkGroup" in message
    assert "aws:athena/workgroup:Workgroup 'queries'" in message
    assert f"moto {moto.__version__}" in message
    assert f"botocore {botocore.__version__}" in message
