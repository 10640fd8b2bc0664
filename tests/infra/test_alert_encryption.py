"""Alarms that reach someone: every topic and queue is encrypted with a key its publishers
can use (issue 11). The AWS-managed SNS key cannot be used by CloudWatch, so a topic under it
would swallow every alarm."""

from __future__ import annotations

import json
from typing import Any

from devstack.program import DeclaredResource, RecordingMocks
from devstack.services.outputs import ACCOUNT_ID
from tests.infra.conftest import urn

KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"


def key_of(stack: RecordingMocks, topic: DeclaredResource) -> DeclaredResource:
    (key,) = (k for k in stack.of_type(KEY) if k.outputs["arn"] == topic.inputs["kmsMasterKeyId"])
    return key


def statements_for(policy: dict[str, Any], service: str) -> list[dict[str, Any]]:
    return [
        s
        for s in policy["Statement"]
        if s["Effect"] == "Allow" and s["Principal"] == {"Service": service}
    ]


def test_every_topic_uses_its_own_rotated_key_not_the_managed_one(stack: RecordingMocks) -> None:
    topics = stack.of_type(TOPIC)
    assert topics
    for topic in topics:
        assert topic.inputs["kmsMasterKeyId"] != "alias/aws/sns", urn(topic)
        key = key_of(stack, topic)
        assert key.inputs["enableKeyRotation"] is True, urn(key)


def test_cloudwatch_may_publish_scoped_to_this_accounts_alarms(stack: RecordingMocks) -> None:
    for topic in stack.of_type(TOPIC):
        policy = json.loads(key_of(stack, topic).inputs["policy"])
        (cloudwatch,) = statements_for(policy, "cloudwatch.amazonaws.com")
        assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}, urn(topic)
        assert cloudwatch["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
        assert cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"].startswith(
            f"arn:aws:cloudwatch:eu-north-1:{ACCOUNT_ID}:alarm:"
        )


def test_eventbridge_may_publish_without_a_source_condition(stack: RecordingMocks) -> None:
    """AWS documents that EventBridge's deliveries carry no aws:SourceArn/SourceAccount: a
    condition on its grant would drop every event."""
    for topic in stack.of_type(TOPIC):
        policy = json.loads(key_of(stack, topic).inputs["policy"])
        (events,) = statements_for(policy, "events.amazonaws.com")
        assert "Condition" not in events, urn(topic)
        assert set(events["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_the_account_keeps_administering_each_key(stack: RecordingMocks) -> None:
    for key in stack.of_type(KEY):
        policy = json.loads(key.inputs["policy"])
        admins = [
            s
            for s in policy["Statement"]
            if s["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
        ]
        assert admins and admins[0]["Action"] == "kms:*", urn(key)


def test_every_queue_uses_encryption_any_sending_service_can_use(stack: RecordingMocks) -> None:
    """SQS-managed SSE needs no key grant, so EventBridge, Lambda destinations and S3
    notifications can all send to it; a KMS key would need each of them in its policy."""
    for queue in stack.of_type("aws:sqs/queue:Queue"):
        assert queue.inputs.get("sqsManagedSseEnabled") is True, urn(queue)
        assert "kmsMasterKeyId" not in queue.inputs, urn(queue)
