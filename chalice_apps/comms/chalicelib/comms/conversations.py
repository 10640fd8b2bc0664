"""The conversations table: one record per conversation, moved through its states with
conditional writes so that SQS's at-least-once delivery sends at most one message.

    processing -> sending -> initial_message_sent
         \\-----------\\----> failed

``sending`` is written just before Twilio is called. A redelivery that finds ``processing``
carries on (nothing was sent); one that finds ``sending`` cannot know whether Twilio got the
message, so it does not resend (see ``ConversationState``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.dynamo import conditional_write
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class Status(StrEnum):
    PROCESSING = "processing"
    SENDING = "sending"
    SENT = "initial_message_sent"
    FAILED = "failed"


# The longest address a conversation is keyed by (an e-mail address, RFC 5321).
MAX_ADDRESS_LENGTH = 254


@dataclass(frozen=True)
class ConversationKey:
    primary_channel: str
    conversation_id: str

    def as_key(self) -> dict[str, str]:
        return {"primary_channel": self.primary_channel, "conversation_id": self.conversation_id}


class ConversationRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def start(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """Create the record as ``processing``; returns None when it was created, or the
        record that already exists (a redelivery).

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        created = conditional_write(
            lambda: self._table.put_item(
                Item=record, ConditionExpression="attribute_not_exists(conversation_id)"
            ),
            "creating the conversation",
        )
        if created:
            return None
        return self.get(ConversationKey(record["primary_channel"], record["conversation_id"]))

    @property
    def table(self) -> Table:
        return self._table

    def find(self, key: ConversationKey) -> dict[str, Any] | None:
        """The record, or None.

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        try:
            return self._table.get_item(Key=key.as_key(), ConsistentRead=True).get("Item")
        except (ClientError, BotoCoreError) as err:
            raise TransientError(f"reading the conversation failed: {err}") from err

    def get(self, key: ConversationKey) -> dict[str, Any]:
        """The record that must exist (we just failed to create it)."""
        item = self.find(key)
        if item is None:
            raise TransientError(f"conversation {key.conversation_id} vanished")
        return item

    def _transition(self, key: ConversationKey, expected: Status, changes: dict[str, Any]) -> None:
        names = {f"#{k}": k for k in changes} | {"#status": "conversation_status"}
        values = {f":{k}": v for k, v in changes.items()} | {":expected": str(expected)}
        self._table.update_item(
            Key=key.as_key(),
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in changes),
            ConditionExpression="#status = :expected",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def record_delivery(
        self,
        key: ConversationKey,
        message_id: str,
        status: str,
        rank: int,
        details: dict[str, Any],
    ) -> bool:
        """Record a provider's delivery report (``delivery_status`` and its ``rank`` in the
        order statuses can happen, plus ``details`` as attributes); False when it changes
        nothing: a report for another message or for no conversation of ours, or one no
        later than the status recorded (repeated, or late: a late ``sent`` never overwrites
        ``delivered``). A report that comes before the processor has recorded the message's
        id (providers report within milliseconds) is applied all the same.

        Raises:
            TransientError: DynamoDB failed after boto3's retries.
        """
        values: dict[str, Any] = {":status": status, ":rank": rank, ":id": message_id}
        values |= {f":{name}": value for name, value in details.items()}
        updates = ["delivery_status = :status", "delivery_status_rank = :rank"]
        updates += [f"{name} = :{name}" for name in details]
        return conditional_write(
            lambda: self._table.update_item(
                Key=key.as_key(),
                UpdateExpression="SET " + ", ".join(updates),
                ConditionExpression="attribute_exists(conversation_id)"
                " AND (attribute_not_exists(message_sid) OR message_sid = :id)"
                " AND (attribute_not_exists(delivery_status_rank) OR delivery_status_rank < :rank)",
                ExpressionAttributeValues=values,
            ),
            "recording the delivery status",
        )

    def transition(self, key: ConversationKey, expected: Status, changes: dict[str, Any]) -> None:
        """Apply ``changes`` if the record is still in ``expected`` state.

        Raises:
            TransientError: DynamoDB failed, or the record was not in ``expected`` state
                (another consumer got there first: let SQS redeliver and look again).
        """
        try:
            self._transition(key, expected, changes)
        except (ClientError, BotoCoreError) as err:
            raise TransientError(f"updating the conversation failed: {err}") from err
