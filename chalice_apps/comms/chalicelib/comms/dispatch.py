"""Send a context object to its channel's SQS queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.comms.exceptions import MessageTooLargeError
from shared.errors import ConfigurationError, TransientError
from shared.serialization import dumps

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

# SQS's limit for one message, counted over the body and every attribute's name, type and
# value in UTF-8 (the body is ASCII: ``dumps`` escapes everything else).
SQS_MAX_MESSAGE_BYTES = 256 * 1024


def message_size(body: str, attributes: Mapping[str, MessageAttributeValueTypeDef]) -> int:
    """The bytes SQS counts against ``SQS_MAX_MESSAGE_BYTES`` for one message."""
    size = len(body.encode())
    for name, value in attributes.items():
        size += len(name.encode()) + len(value["DataType"].encode())
        size += len(value.get("StringValue", "").encode())
    return size


class ChannelQueues:
    """The per-channel work queues, by channel name."""

    def __init__(self, sqs: SQSClient, queue_urls: Mapping[str, str]) -> None:
        self._sqs = sqs
        self._urls = dict(queue_urls)

    def send(self, channel: str, context: Mapping[str, Any]) -> str:
        """Queue one context object; returns the SQS message id.

        Raises:
            ConfigurationError: the deployment gave no queue for this channel.
            MessageTooLargeError: the message would be over ``SQS_MAX_MESSAGE_BYTES``; it is
                measured on the exact bytes that would be sent, and nothing is sent.
            TransientError: SQS refused the message after boto3's retries.
        """
        url = self._urls.get(channel)
        if url is None:
            raise ConfigurationError(f"no queue is configured for channel '{channel}'")
        body = dumps(context)
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            "channel": {"DataType": "String", "StringValue": channel},
            "conversation_id": {
                "DataType": "String",
                "StringValue": context["conversation_data"]["conversation_id"],
            },
        }
        size = message_size(body, attributes)
        if size > SQS_MAX_MESSAGE_BYTES:
            raise MessageTooLargeError(size, SQS_MAX_MESSAGE_BYTES)
        try:
            response = self._sqs.send_message(
                QueueUrl=url, MessageBody=body, MessageAttributes=attributes
            )
        except (ClientError, BotoCoreError) as err:
            raise TransientError(f"sending to the {channel} queue failed: {err}") from err
        return response["MessageId"]
