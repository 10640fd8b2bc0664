"""The local stack holds what trends' video pipeline is surrounded with, as the program
declares it (in-process moto here, the moto server in ``make dev``): an EventBridge rule
whose matching events land in its queue (moto's events delivers to SQS targets), the
month's budget with its notifications, MediaConvert's role and the videos bucket's
lifecycle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.trends import names
from devstack.mocks import MotoMocks
from devstack.program import RecordingMocks
from devstack.services.outputs import ACCOUNT_ID
from shared.names import physical
from tests.conftest import REGION
from tests.trends_support import STACK, declare_trends

OTHER_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:someone-elses"


@pytest.fixture(scope="module")
def trends_in_moto(built_packages: Any) -> Iterator[RecordingMocks]:
    with mock_aws():
        yield declare_trends(STACK, MotoMocks(REGION))


def pipeline_arn(mocks: RecordingMocks) -> str:
    machine = mocks.named(
        "aws:sfn/stateMachine:StateMachine", physical(names.PIPELINE_STATE_MACHINE, STACK)
    )
    return str(machine.outputs["arn"])


def status_change(machine: str, status: str) -> dict[str, Any]:
    """Step Functions' event for one execution's new status, as EventBridge carries it."""
    execution = machine.replace(":stateMachine:", ":execution:") + ":night-2026-12-06"
    return {
        "Source": "aws.states",
        "DetailType": "Step Functions Execution Status Change",
        "Detail": json.dumps(
            {"executionArn": execution, "stateMachineArn": machine, "status": status}
        ),
    }


def drain(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_failed_execution_of_the_pipeline_reaches_the_queue_and_others_do_not(
    trends_in_moto: RecordingMocks,
) -> None:
    # GIVEN the trends program's rule and queue in moto
    machine = pipeline_arn(trends_in_moto)
    queue = trends_in_moto.named("aws:sqs/queue:Queue", physical("trends-failed-executions", STACK))
    events = boto3.client("events", region_name=REGION)

    # WHEN one execution of the pipeline fails, one succeeds and another machine's fails
    result = events.put_events(
        Entries=[
            status_change(machine, "SUCCEEDED"),
            status_change(OTHER_MACHINE, "FAILED"),
            status_change(machine, "TIMED_OUT"),
        ]
    )

    # THEN only the pipeline's timed-out execution waits in the queue
    assert result["FailedEntryCount"] == 0
    (kept,) = drain(queue.outputs["url"])
    assert kept["detail"]["status"] == "TIMED_OUT"
    assert kept["detail"]["stateMachineArn"] == machine
    assert kept["detail-type"] == "Step Functions Execution Status Change"


def test_the_rule_and_its_target_are_held_as_declared(trends_in_moto: RecordingMocks) -> None:
    events = boto3.client("events", region_name=REGION)
    rule = trends_in_moto.named(
        "aws:cloudwatch/eventRule:EventRule", physical("trends-failed-executions", STACK)
    )
    dlq = trends_in_moto.named(
        "aws:sqs/queue:Queue", physical("trends-failed-executions-dlq", STACK)
    )

    described = events.describe_rule(Name=rule.outputs["name"])
    (target,) = events.list_targets_by_rule(Rule=rule.outputs["name"])["Targets"]

    assert described["Arn"] == rule.outputs["arn"]
    assert json.loads(described["EventPattern"]) == json.loads(rule.inputs["eventPattern"])
    assert target["DeadLetterConfig"] == {"Arn": dlq.outputs["arn"]}
    policy = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=dlq.outputs["url"], AttributeNames=["Policy"]
    )["Attributes"]["Policy"]
    (statement,) = json.loads(policy)["Statement"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}


def test_the_budget_role_topic_policy_and_lifecycle_are_in_moto(
    trends_in_moto: RecordingMocks,
) -> None:
    (declared,) = trends_in_moto.of_type("aws:budgets/budget:Budget")
    budgets = boto3.client("budgets", region_name=REGION)
    budget = budgets.describe_budget(AccountId=ACCOUNT_ID, BudgetName=declared.inputs["name"])[
        "Budget"
    ]
    assert budget["BudgetLimit"]["Amount"] == declared.inputs["limitAmount"]
    assert budget["CostFilters"] == {"TagKeyValue": [f"user:stack${STACK}"]}
    topic = trends_in_moto.named("aws:sns/topic:Topic", physical("trends-alerts", STACK))
    notifications = budgets.describe_notifications_for_budget(
        AccountId=ACCOUNT_ID, BudgetName=declared.inputs["name"]
    )["Notifications"]
    # moto answers no DescribeSubscribersForNotification: the subscribers are the infra
    # tests' to check.
    assert {(n["NotificationType"], n["Threshold"]) for n in notifications} == {
        (n["notificationType"], n["threshold"]) for n in declared.inputs["notifications"]
    }

    role = boto3.client("iam").get_role(RoleName=physical("trends-mediaconvert", STACK))["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "mediaconvert.amazonaws.com"}
    policy = boto3.client("iam").get_role_policy(
        RoleName=role["RoleName"], PolicyName=physical("trends-mediaconvert-policy", STACK)
    )["PolicyDocument"]
    assert {s["Sid"] for s in policy["Statement"]} == {"ReadIntermediates", "WriteRenders"}

    attributes = boto3.client("sns", region_name=REGION).get_topic_attributes(
        TopicArn=topic.outputs["arn"]
    )["Attributes"]
    principals = {
        s["Principal"].get("Service") for s in json.loads(attributes["Policy"])["Statement"]
    }
    assert "budgets.amazonaws.com" in principals

    bucket = f"{physical('trends-videos', STACK)}-{ACCOUNT_ID}"
    rules = boto3.client("s3", region_name=REGION).get_bucket_lifecycle_configuration(
        Bucket=bucket
    )["Rules"]
    assert {r["ID"]: r["Filter"] for r in rules} == {
        "expire-intermediates": {"Prefix": "work/"},
        "finals-to-infrequent-access": {"Prefix": "videos/"},
        "abort-incomplete-uploads": {"Prefix": ""},
    }
