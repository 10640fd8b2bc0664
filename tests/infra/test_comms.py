"""comms infrastructure: the seed's table, queues, DLQs, alarms, API and the router's rights."""

from __future__ import annotations

import json

import pytest

from chalicelib.comms import names
from chalicelib.comms.names import CHANNELS, channel_dlq, channel_queue
from devstack.program import RecordingMocks
from infra.components.gateway_errors import gateway_error
from shared.names import physical
from tests.infra.conftest import (
    STACKS,
    fixtures_of,
    policy_statements,
    setting,
    system_setting,
    urn,
)

# comms declared alone, for each stack.
stacks, stack = fixtures_of("comms")

QUEUE = "aws:sqs/queue:Queue"


@pytest.mark.parametrize("name", STACKS)
def test_company_data_table_has_the_seed_schema(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    table = stacks[name].named("aws:dynamodb/table:Table", physical("company-data", name))
    assert table.inputs["hashKey"] == "company_id"
    assert table.inputs["rangeKey"] == "project_id"
    assert {a["name"]: a["type"] for a in table.inputs["attributes"]} == {
        "company_id": "S",
        "project_id": "S",
    }


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_queue_redrives_to_its_dlq_with_the_seed_values(
    stacks: dict[str, RecordingMocks], name: str, channel: str
) -> None:
    stack = stacks[name]
    queue = stack.named(QUEUE, physical(channel_queue(channel), name))  # type: ignore[arg-type]
    dlq = stack.named(QUEUE, physical(channel_dlq(channel), name))  # type: ignore[arg-type]

    assert queue.inputs["visibilityTimeoutSeconds"] == 600, urn(queue)
    assert json.loads(queue.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dlq.outputs["arn"],
        "maxReceiveCount": 3,
    }, urn(queue)
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 86_400, urn(dlq)
    for q in (queue, dlq):
        assert q.inputs["sqsManagedSseEnabled"] is True, urn(q)


@pytest.mark.parametrize("name", STACKS)
def test_a_message_in_any_dlq_alarms_the_alert_topic(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    topic = stack.named("aws:sns/topic:Topic", physical("ai-comms-critical-alerts", name))
    alarms = {
        a.inputs["dimensions"]["QueueName"]: a
        for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("namespace") == "AWS/SQS"
    }
    for channel in CHANNELS:
        alarm = alarms[physical(channel_dlq(channel), name)]  # type: ignore[arg-type]
        assert alarm.inputs["metricName"] == "ApproximateNumberOfMessagesVisible", urn(alarm)
        assert alarm.inputs["threshold"] == 1, urn(alarm)
        assert alarm.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold", urn(alarm)
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]], urn(alarm)
    (subscription,) = (
        s
        for s in stack.of_type("aws:sns/topicSubscription:TopicSubscription")
        if s.inputs["topic"] == topic.outputs["arn"]
    )
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == setting(name, "alarmEmail")


@pytest.mark.parametrize("name", STACKS)
def test_every_api_method_but_the_providers_callbacks_requires_a_key(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    api = stack.named("aws:apigateway/restApi:RestApi", f"ai-multi-comms-{name}-api")
    router = stack.named("aws:lambda/function:Function", physical("comms-api-handler", name))
    body = json.loads(api.inputs["body"])

    assert body["x-amazon-apigateway-api-key-source"] == "HEADER"
    assert body["securityDefinitions"]["api_key"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }
    methods = [(p, m, spec) for p, ms in body["paths"].items() for m, spec in ms.items()]
    assert ("/initiate-conversation", "post") in {(p, m) for p, m, _ in methods}
    keyless = {(p, m) for p, m, spec in methods if {"api_key": []} not in spec.get("security", [])}
    # Signed by Twilio and by SendGrid instead.
    assert keyless == {(names.TWILIO_STATUS_PATH, "post"), (names.SENDGRID_EVENTS_PATH, "post")}
    for _, _, spec in methods:
        assert spec["x-amazon-apigateway-integration"]["uri"] == router.outputs["invokeArn"]


@pytest.mark.parametrize("name", STACKS)
def test_the_api_handler_may_touch_only_what_its_routes_use(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    table = stack.named("aws:dynamodb/table:Table", physical("company-data", name))
    queues = [
        stack.named(QUEUE, physical(channel_queue(c), name)).outputs["arn"]  # type: ignore[arg-type]
        for c in CHANNELS
    ]
    statements = {
        s["Sid"]: s
        for p, s in policy_statements(stack)
        if p.inputs["name"] == physical("comms-api-handler", name) + "-policy"
    }
    assert set(statements) == {
        "WriteOwnLogs",
        "ReadCompanyConfig",
        "QueueConversations",
        "RecordDeliveryStatus",
        "VerifyTwilioSignatures",
    }
    conversations = stack.named("aws:dynamodb/table:Table", physical("conversations", name))
    assert statements["RecordDeliveryStatus"]["Action"] == [
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    ]
    assert statements["RecordDeliveryStatus"]["Resource"] == [conversations.outputs["arn"]]
    assert statements["VerifyTwilioSignatures"]["Resource"] == [
        f"arn:aws:secretsmanager:eu-north-1:123456789012:secret:{c}-credentials/*"
        for c in ("whatsapp", "sms")
    ]
    assert statements["ReadCompanyConfig"]["Action"] == ["dynamodb:GetItem"]
    assert statements["ReadCompanyConfig"]["Resource"] == [table.outputs["arn"]]
    assert statements["QueueConversations"]["Action"] == ["sqs:SendMessage"]
    assert sorted(statements["QueueConversations"]["Resource"]) == sorted(queues)


@pytest.mark.parametrize("name", STACKS)
def test_the_router_is_told_the_names_of_what_it_uses(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    env = stack.function_environment(physical("comms-api-handler", name))
    assert env["COMPANY_DATA_TABLE"] == physical("company-data", name)
    assert json.loads(env["CHANNEL_QUEUE_URLS"]) == {
        c: stack.named(QUEUE, physical(channel_queue(c), name)).outputs["url"]  # type: ignore[arg-type]
        for c in CHANNELS
    }
    assert env["CONFIG_CACHE_SECONDS"] == str(system_setting(name, "comms")["configCacheSeconds"])
    assert env["FLEET_STACK"] == name


def test_api_gateways_own_answers_come_in_the_shared_error_shape(stack: RecordingMocks) -> None:
    """A missing key, an unknown path, throttling: API Gateway answers these itself, so the
    API's body carries gateway responses rendering errors.md's shape (in the body, so a
    change redeploys the stage)."""
    for api in stack.of_type("aws:apigateway/restApi:RestApi"):
        responses = json.loads(api.inputs["body"])["x-amazon-apigateway-gateway-responses"]
        assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}, urn(api)
        for response in responses.values():
            template = response["responseTemplates"]["application/json"]
            rendered = template.replace("$context.error.responseType", "THROTTLED").replace(
                "$context.error.messageString", '"Too Many Requests"'
            )
            assert json.loads(rendered) == gateway_error("THROTTLED", "Too Many Requests")
