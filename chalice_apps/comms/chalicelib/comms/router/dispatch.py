"""Send a context object to its channel's SQS queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.errors import ConfigurationError, TransientError
from shared.serialization import dumps

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class ChannelQueues:
    """The per-channel work queues, by channel name."""

    def __init__(self, sqs: SQSClient, queue_urls: Mapping[str, str]) -> None:
        self._sqs = sqs
        self._urls = dict(queue_urls)

    def send(self, channel: str, context: Mapping[str, Any]) -> str:
        """Queue one context object; returns the SQS message id.

        Raises:
            ConfigurationError: the deployment gave no queue for this channel.
            TransientError: SQS refused the message after boto3's retries.
        """
        url = self._urls.get(channel)
        if url is None:
            raise ConfigurationError(f"no queue is configured for channel '{channel}'")
        conversation = context["conversation_data"]
        try:
            response = self._sqs.send_message(
                QueueUrl=url,
                MessageBody=dumps(context),
                MessageAttributes={
                    "channel": {"DataType": "String", "StringValue": channel},
                    "conversation_id": {
                        "DataType": "String",
                        "StringValue": conversation["conversation_id"],
                    },
                },
            )
        except (ClientError, BotoCoreError) as err:
            raise TransientError(f"sending to the {channel} queue failed: {err}") from err
        return response["MessageId"]
