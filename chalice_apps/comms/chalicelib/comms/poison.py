"""Poison messages: a message no processor can read goes to its queue's DLQ at once, with why.

Retrying cannot help such a message, and it names no conversation we could record a failure
on; deleting it (as before) left the operator nothing to inspect, and waiting for SQS's own
redrive would spend three receives and their visibility timeouts on it. So the processor
sends it to the DLQ itself, body unchanged, its own attributes kept (the router's
``channel`` and ``conversation_id``), plus the attributes below, and reports the record as
done so SQS deletes it. The DLQ's depth alarm fires as for any dead message.

Attributes (all ``String``; docs/runbooks/comms.md shows how to read them):
``poison_kind`` (``exceptions.PoisonKind``), ``poison_reason`` (what failed, never the
values), ``source_queue_arn`` (where to redrive it), ``source_message_id``, ``dead_lettered_at``
(ISO 8601, UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.comms.exceptions import InvalidContextError
from shared.errors import TransientError
from shared.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

log = logger("comms-processor")

POISON_KIND: Final = "poison_kind"
POISON_REASON: Final = "poison_reason"
SOURCE_QUEUE_ARN: Final = "source_queue_arn"
SOURCE_MESSAGE_ID: Final = "source_message_id"
DEAD_LETTERED_AT: Final = "dead_lettered_at"
# SQS takes at most 10 attributes on a message: ours, then as many of its own as fit.
_MAX_ATTRIBUTES: Final = 10
_MAX_REASON_CHARS: Final = 1000


def _kept_attributes(record: SQSRecord) -> dict[str, MessageAttributeValueTypeDef]:
    """The message's own String and Number attributes, as SendMessage takes them."""
    kept: dict[str, MessageAttributeValueTypeDef] = {}
    for name, value in record.raw_event.get("messageAttributes", {}).items():
        data_type = value.get("dataType", "")
        if data_type.split(".")[0] in ("String", "Number") and value.get("stringValue"):
            kept[name] = {"DataType": data_type, "StringValue": value["stringValue"]}
    return kept


def dead_letter(
    sqs: SQSClient,
    dlq_url: str,
    record: SQSRecord,
    err: InvalidContextError,
    now: datetime | None = None,
) -> str:
    """Send ``record`` to the DLQ with why it cannot be read; returns the DLQ message id.

    Raises:
        TransientError: SQS refused (after boto3's retries): the record goes back to its
            queue, and SQS's own redrive takes it to the DLQ after the last receive.
    """
    ours: dict[str, MessageAttributeValueTypeDef] = {
        POISON_KIND: {"DataType": "String", "StringValue": str(err.kind)},
        POISON_REASON: {"DataType": "String", "StringValue": err.reason[:_MAX_REASON_CHARS]},
        SOURCE_QUEUE_ARN: {"DataType": "String", "StringValue": record.event_source_arn},
        SOURCE_MESSAGE_ID: {"DataType": "String", "StringValue": record.message_id},
        DEAD_LETTERED_AT: {
            "DataType": "String",
            "StringValue": (now or datetime.now(UTC)).isoformat(),
        },
    }
    own = [(k, v) for k, v in _kept_attributes(record).items() if k not in ours]
    attributes = ours | dict(own[: _MAX_ATTRIBUTES - len(ours)])
    try:
        response = sqs.send_message(
            QueueUrl=dlq_url, MessageBody=record.body, MessageAttributes=attributes
        )
    except (ClientError, BotoCoreError) as err_sqs:
        raise TransientError(f"moving a poison message to the DLQ failed: {err_sqs}") from err_sqs
    log.error(
        "poison message: moved to the DLQ, never retried",
        extra={
            "poison_kind": str(err.kind),
            "reason": err.reason,
            "dlq_message_id": response["MessageId"],
        },
    )
    return response["MessageId"]
