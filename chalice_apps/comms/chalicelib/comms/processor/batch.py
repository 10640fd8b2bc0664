"""An SQS batch: each record processed under a heartbeat; failures reported per record.

Powertools' BatchProcessor returns ``batchItemFailures`` (the mapping has
ReportBatchItemFailures on), so one bad message never re-runs the good ones. Only transient
errors are failures here: permanent ones were recorded on the conversation and are done.
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

from chalicelib.comms.processor.heartbeat import SqsHeartbeat
from chalicelib.comms.processor.service import Outcome, ProcessorDeps, process_context

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@dataclass(frozen=True)
class HeartbeatSettings:
    queue_url: str
    interval_seconds: float
    visibility_seconds: int


def handle_batch(
    event: dict[str, Any],
    context: Any,
    channel: str,
    deps: ProcessorDeps,
    sqs: SQSClient,
    heartbeat: HeartbeatSettings,
) -> dict[str, Any]:
    """The Lambda response: ``{"batchItemFailures": [{"itemIdentifier": id}, ...]}``."""

    def record_handler(record: SQSRecord) -> Outcome:
        with SqsHeartbeat(
            sqs,
            heartbeat.queue_url,
            record.receipt_handle,
            heartbeat.interval_seconds,
            heartbeat.visibility_seconds,
        ):
            return process_context(record.body, channel, deps)

    # PartialItemFailureResponse is a TypedDict: the dict Lambda expects.
    return process_partial_response(  # type: ignore[return-value]
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        context=context,
    )
