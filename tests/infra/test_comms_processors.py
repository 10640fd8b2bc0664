"""comms processors' infrastructure (WhatsApp, SMS, e-mail): conversations table, rights,
sources, alarms, secrets."""

from __future__ import annotations

import json

import pytest

from chalicelib.comms import names
from chalicelib.comms.names import channel_dlq, channel_queue
from devstack.program import DeclaredResource, RecordingMocks
from shared.names import physical
from tests.infra.conftest import STACKS, fixtures_of, policy_statements, setting, urn

# comms declared alone, for each stack.
stacks, stack = fixtures_of("comms")

PROCESSORS = ("whatsapp", "sms", "email")


def channel_queue_of(stack: RecordingMocks, name: str, channel: str) -> DeclaredResource:
    return stack.named("aws:sqs/queue:Queue", physical(channel_queue(channel), name))  # type: ignore[arg-type]


def channel_dlq_of(stack: RecordingMocks, name: str, channel: str) -> DeclaredResource:
    return stack.named("aws:sqs/queue:Queue", physical(channel_dlq(channel), name))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", STACKS)
def test_the_conversations_table_has_the_seed_schema(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    table = stacks[name].named("aws:dynamodb/table:Table", physical("conversations", name))
    assert (table.inputs["hashKey"], table.inputs["rangeKey"]) == (
        "primary_channel",
        "conversation_id",
    )
    (gsi,) = table.inputs["globalSecondaryIndexes"]
    assert gsi["name"] == "company-id-project-id-index"
    assert [(k["attributeName"], k["keyType"]) for k in gsi["keySchemas"]] == [
        ("company_id", "HASH"),
        ("project_id", "RANGE"),
    ]
    assert {i["name"]: i["rangeKey"] for i in table.inputs["localSecondaryIndexes"]} == {
        "created-at-index": "created_at",
        "task-complete-index": "task_complete",
        "conversation-status-index": "conversation_status",
        "channel-method-index": "channel_method",
    }
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["pointInTimeRecovery"]["enabled"] is setting(name, "protectData")


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("channel", PROCESSORS)
def test_each_processor_consumes_its_queue_with_item_failures_and_room_to_work(
    stacks: dict[str, RecordingMocks], name: str, channel: str
) -> None:
    stack = stacks[name]
    queue = channel_queue_of(stack, name, channel)
    function = stack.named(
        "aws:lambda/function:Function", physical(f"comms-{channel}-processor", name)
    )
    (mapping,) = [
        m
        for m in stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        if m.inputs["functionName"] == function.outputs["arn"]
    ]
    assert mapping.inputs["eventSourceArn"] == queue.outputs["arn"]
    assert mapping.inputs["batchSize"] == 10
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert function.inputs["timeout"] == 90
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * function.inputs["timeout"]
    env = function.inputs["environment"]["variables"]
    assert env["QUEUE_URL"] == queue.outputs["url"]
    assert env["DLQ_URL"] == channel_dlq_of(stack, name, channel).outputs["url"]
    assert env["VISIBILITY_TIMEOUT_SECONDS"] == str(int(queue.inputs["visibilityTimeoutSeconds"]))
    assert env["CONVERSATIONS_TABLE"] == physical("conversations", name)
    assert env["OPENAI_SECRET_NAME"] == physical(names.OPENAI_SECRET, name)
    assert env["API_URL"] == stack.stack_outputs["comms_api_url"]


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("channel", PROCESSORS)
def test_each_processor_may_touch_only_what_it_uses(
    stacks: dict[str, RecordingMocks], name: str, channel: str
) -> None:
    stack = stacks[name]
    queue = channel_queue_of(stack, name, channel)
    dlq = channel_dlq_of(stack, name, channel)
    table = stack.named("aws:dynamodb/table:Table", physical("conversations", name))
    secret = stack.named("aws:secretsmanager/secret:Secret", physical(names.OPENAI_SECRET, name))
    statements = {
        s["Sid"]: s
        for p, s in policy_statements(stack)
        if p.inputs["name"] == physical(f"comms-{channel}-processor", name) + "-policy"
    }
    assert set(statements) == {
        "WriteOwnLogs",
        "ConsumeOwnQueue",
        "HeartbeatOwnMessages",
        "DeadLetterPoisonMessages",
        "WriteConversations",
        "ReadOpenAIKey",
        "ReadCredentials",
    }
    assert statements["ConsumeOwnQueue"]["Resource"] == [queue.outputs["arn"]]
    assert statements["HeartbeatOwnMessages"] == {
        "Effect": "Allow",
        "Sid": "HeartbeatOwnMessages",
        "Action": ["sqs:ChangeMessageVisibility"],
        "Resource": [queue.outputs["arn"]],
    }
    # A poison message goes to its own queue's DLQ, and nowhere else.
    assert statements["DeadLetterPoisonMessages"] == {
        "Effect": "Allow",
        "Sid": "DeadLetterPoisonMessages",
        "Action": ["sqs:SendMessage"],
        "Resource": [dlq.outputs["arn"]],
    }
    sends = [s for s in statements.values() if "sqs:SendMessage" in s["Action"]]
    assert [r for s in sends for r in s["Resource"]] == [dlq.outputs["arn"]]
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq.outputs["arn"]
    assert statements["WriteConversations"]["Action"] == [
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    ]
    assert statements["WriteConversations"]["Resource"] == [table.outputs["arn"]]
    assert statements["ReadCredentials"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert statements["ReadOpenAIKey"]["Resource"] == [secret.outputs["arn"]]
    assert statements["ReadCredentials"]["Resource"] == [
        f"arn:aws:secretsmanager:eu-north-1:123456789012:secret:{channel}-credentials/*",
    ]
    # Only this stack's credentials, even in an account shared with another stack.
    assert statements["ReadCredentials"]["Condition"] == {
        "StringEquals": {"secretsmanager:ResourceTag/stack": name}
    }
    # No other secret: the e-mail processor reads SendGrid's keys, never Twilio's tokens.
    secrets = [s for s in statements.values() if "secretsmanager:GetSecretValue" in s["Action"]]
    assert [r for s in secrets for r in s["Resource"]] == [
        secret.outputs["arn"],
        f"arn:aws:secretsmanager:eu-north-1:123456789012:secret:{channel}-credentials/*",
    ]


@pytest.mark.parametrize("name", STACKS)
def test_secrets_are_declared_but_their_values_are_never_in_the_program(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    assert stack.of_type("aws:secretsmanager/secret:Secret")
    assert stack.of_type("aws:secretsmanager/secretVersion:SecretVersion") == []


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("channel", PROCESSORS)
def test_the_final_update_marker_and_errors_alarm_the_critical_topic(
    stacks: dict[str, RecordingMocks], name: str, channel: str
) -> None:
    stack = stacks[name]
    topic = stack.named("aws:sns/topic:Topic", physical(names.COMMS_ALERTS_TOPIC, name))
    function_name = physical(f"comms-{channel}-processor", name)
    (metric_filter,) = [
        f
        for f in stack.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
        if f.inputs["logGroupName"] == f"/aws/lambda/{function_name}"
    ]
    transformation = metric_filter.inputs["metricTransformation"]
    alarm = next(
        a
        for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("metricName") == transformation["name"]
    )
    assert transformation["namespace"] == alarm.inputs["namespace"] == names.COMMS_METRICS_NAMESPACE
    assert transformation["value"] == "1"
    assert alarm.inputs["threshold"] == 1
    assert alarm.inputs["period"] == 300
    assert alarm.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]], urn(alarm)
    errors = next(
        a
        for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("dimensions") == {"FunctionName": function_name}
    )
    assert errors.inputs["metricName"] == "Errors"
    assert errors.inputs["alarmActions"] == [topic.outputs["arn"]], urn(errors)
