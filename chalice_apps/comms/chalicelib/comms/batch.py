"""An SQS batch: each record processed under a heartbeat; failures reported per record.

Powertools' BatchProcessor returns ``batchItemFailures`` (the mapping has
ReportBatchItemFailures on), so one bad message never re-runs the good ones. Only transient
errors are failures here: permanent ones were recorded on the conversation and are done, and
a poison message was moved to the DLQ (``poison.dead_letter``) and is done too. Every record
is processed within what is left of the invocation (``budget.Budget``).

Every line logged while a record is processed carries its SQS message id, and a record that
fails writes one line of its own with the reason: BatchProcessor keeps the exception to
itself, so without it a failure would show only as a message back on the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.comms.budget import Budget
from chalicelib.comms.exceptions import InvalidContextError
from chalicelib.comms.heartbeat import SqsHeartbeat
from chalicelib.comms.poison import dead_letter
from chalicelib.comms.sending import Outcome, ProcessorDeps, process_context
from shared.errors import TransientError
from shared.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.base import FailureResponse
    from aws_lambda_powertools.utilities.batch.exceptions import ExceptionInfo
    from mypy_boto3_sqs import SQSClient

log = logger("comms-processor")


@dataclass(frozen=True)
class OwnQueue:
    """The processor's queue: where its heartbeat keeps a message invisible, and its DLQ,
    where a poison message goes at once."""

    queue_url: str
    interval_seconds: float
    visibility_seconds: int
    dlq_url: str


def _identity(record: SQSRecord) -> dict[str, Any]:
    """What names a record in the log: its message id, how often SQS has handed it out, and
    the conversation the router named in its attributes."""
    conversation = record.message_attributes["conversation_id"]  # None when absent
    return {
        "sqs_message_id": record.message_id,
        "receive_count": record.attributes.approximate_receive_count,
        "conversation_id": conversation.string_value if conversation else None,
    }


class LoggedBatchProcessor(BatchProcessor):
    """BatchProcessor that logs each failed record (powertools' documented extension point:
    ``failure_handler``), with the reason; an error that is not a transient one is a bug or a
    misconfiguration, logged with its traceback."""

    def failure_handler(self, record: SQSRecord, exception: ExceptionInfo) -> FailureResponse:
        error = exception[1]
        fields = _identity(record) | {"reason": f"{type(error).__name__}: {error}"}
        if isinstance(error, TransientError):
            log.error("message failed: back to the queue", extra=fields)
        else:
            log.error(
                "message failed unexpectedly: back to the queue", exc_info=error, extra=fields
            )
        return super().failure_handler(record, exception)


def handle_batch(
    event: dict[str, Any],
    context: Any,
    channel: str,
    deps: ProcessorDeps,
    sqs: SQSClient,
    queue: OwnQueue,
) -> dict[str, Any]:
    """The Lambda response: ``{"batchItemFailures": [{"itemIdentifier": id}, ...]}``."""
    budget = Budget.of_invocation(context)

    def record_handler(record: SQSRecord) -> Outcome:
        with (
            log.append_context_keys(**_identity(record)),
            SqsHeartbeat(
                sqs,
                queue.queue_url,
                record.receipt_handle,
                queue.interval_seconds,
                queue.visibility_seconds,
            ),
        ):
            try:
                return process_context(record.body, channel, deps, budget)
            except InvalidContextError as err:
                dead_letter(sqs, queue.dlq_url, record, err)
                return Outcome.DEAD_LETTERED

    # PartialItemFailureResponse is a TypedDict: the dict Lambda expects.
    return process_partial_response(  # type: ignore[return-value]
        event=event,
        record_handler=record_handler,
        processor=LoggedBatchProcessor(
            event_type=EventType.SQS, raise_on_entire_batch_failure=False
        ),
        context=context,
    )
