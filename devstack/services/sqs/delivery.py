"""Deliver SQS messages to a handler as Lambda's event source mapping does.

Receive up to ``batch_size`` messages, hand them over as a real SQS event, then delete those
not listed in ``batchItemFailures``. Failed messages stay invisible until their visibility
timeout ends; SQS counts each receive and moves a message to the DLQ after
``maxReceiveCount``. Tests and the local stack both deliver through this.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

Handler = Callable[[dict[str, Any]], Any]


@dataclass
class Delivery:
    received: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    receive_counts: dict[str, int] = field(default_factory=dict)
    crashed: bool = False
    error_type: str | None = None  # what the handler raised when it crashed
    seconds: float = 0.0  # how long the handler ran


def lambda_record(message: MessageTypeDef, queue_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda SQS event, from a ReceiveMessage result."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "dataType": value["DataType"],
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def deliver_once(
    sqs: SQSClient,
    queue_url: str,
    queue_arn: str,
    batch_size: int,
    handler: Handler,
    region: str,
    visibility_timeout: int | None = None,
    wait_seconds: int = 0,
) -> Delivery:
    """One poll (long-polling up to ``wait_seconds``) and one invocation. A handler that
    raises fails the whole batch (nothing is deleted), as a Lambda error does."""
    receive: dict[str, Any] = {"WaitTimeSeconds": wait_seconds}
    if visibility_timeout is not None:
        receive["VisibilityTimeout"] = visibility_timeout
    messages = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=batch_size,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        **receive,
    ).get("Messages", [])
    delivery = Delivery(
        received=[m["MessageId"] for m in messages],
        receive_counts={
            m["MessageId"]: int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            for m in messages
        },
    )
    if not messages:
        return delivery
    event = {"Records": [lambda_record(m, queue_arn, region) for m in messages]}
    started = time.monotonic()
    try:
        response = handler(event) or {}
    except Exception as err:  # a Lambda error: the whole batch returns to the queue
        delivery.crashed = True
        delivery.error_type = type(err).__name__
        delivery.failed = list(delivery.received)
        return delivery
    finally:
        delivery.seconds = time.monotonic() - started
    delivery.failed = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
    for message in messages:
        if message["MessageId"] not in delivery.failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return delivery
