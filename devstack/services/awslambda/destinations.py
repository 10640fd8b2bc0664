"""Where AWS services keep what they could not deliver, reached by ARN: Lambda's on-failure
destination of an asynchronous invocation and EventBridge's dead-letter queue of a target.
Clients are made per message (failures are rare) against the environment's endpoint: the
local stack's, in its process."""

from __future__ import annotations

import boto3


def arn_name(arn: str) -> str:
    """The resource's name: the last field of its ARN (a queue's, topic's, state machine's)."""
    return arn.rsplit(":", 1)[-1]


def send(arn: str, body: str, attributes: dict[str, str] | None = None) -> None:
    """Put ``body`` on the queue, or publish it to the topic, that ``arn`` names, with
    ``attributes`` as string message attributes.

    Raises:
        ValueError: the ARN is neither a queue's nor a topic's.
        botocore.exceptions.ClientError: it does not exist (or the call failed).
    """
    service, account = arn.split(":")[2], arn.split(":")[4]
    message_attributes = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in (attributes or {}).items()
    }
    if service == "sqs":
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=arn_name(arn), QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes=message_attributes,  # type: ignore[arg-type]
        )
    elif service == "sns":
        boto3.client("sns").publish(
            TopicArn=arn,
            Message=body,
            MessageAttributes=message_attributes,  # type: ignore[arg-type]
        )
    else:
        raise ValueError(f"{arn}: only SQS queues and SNS topics receive failed events locally")
