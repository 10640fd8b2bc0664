"""SQS's resource types: queues created in moto with the declared attributes and redrive
policy, and their policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devstack.services.base import Clients, LocalType
from devstack.services.outputs import ACCOUNT_ID, Created, with_name

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Pulumi's queue inputs -> SQS attribute names.
_QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "maxMessageSize": "MaximumMessageSize",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
}


def _attribute(value: Any) -> str:
    """SQS attribute text: Pulumi hands numbers over as floats and SQS wants "600", "true"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def queue(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    client: SQSClient = clients("sqs")
    attributes: dict[Any, str] = {
        attr: _attribute(inputs[key])
        for key, attr in _QUEUE_ATTRIBUTES.items()
        if inputs.get(key) is not None
    }
    if inputs.get("fifoQueue"):
        attributes["FifoQueue"] = "true"
    url = client.create_queue(
        QueueName=inputs["name"], Attributes=attributes, tags=inputs.get("tags") or {}
    )["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, {**inputs, "arn": arn, "url": url}


def queue_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    url = f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{outputs['name']}"
    arn = f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{outputs['name']}"
    return url, outputs | {"arn": arn, "url": url}


def queue_policy(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    clients("sqs").set_queue_attributes(
        QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]}
    )
    return inputs["queueUrl"], inputs


TYPES = {
    "aws:sqs/queue:Queue": LocalType(offline=queue_outputs, create=queue),
    "aws:sqs/queuePolicy:QueuePolicy": LocalType(create=queue_policy),
}
