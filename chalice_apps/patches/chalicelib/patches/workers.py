"""The two queue consumers: the thread worker and the refresh-slice worker.

Powertools' ``BatchProcessor`` reports each failed record in ``batchItemFailures`` (the
event source mapping has ReportBatchItemFailures), so one bad request never re-runs the
good ones: it comes back after the queue's visibility timeout and, after
``maxReceiveCount`` receives, waits in the DLQ (its alarm fires). While a service's breaker
is open its requests fail at once, without a call, and come back later the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.patches.breaker import CircuitBreaker
from chalicelib.patches.discussions import ThreadDeps, ThreadTally, refresh_thread
from chalicelib.patches.exceptions import CircuitOpenError
from chalicelib.patches.fetching import FetchDeps, Tally, record_tally, refresh_slice
from chalicelib.patches.observe import record_breakers
from chalicelib.patches.work import SliceRequest, ThreadRequest


def _partial(
    event: dict[str, Any], context: Any, handle: Callable[[str], None], log: Logger
) -> dict[str, Any]:
    def record_handler(record: SQSRecord) -> None:
        try:
            handle(record.body)
        except CircuitOpenError as err:
            log.warning(
                "circuit breaker open: request left for later",
                extra={"message_id": record.message_id, "service": err.service},
            )
            raise
        except Exception:  # logged here with its traceback; the processor marks it failed
            log.exception("request failed", extra={"message_id": record.message_id})
            raise

    # PartialItemFailureResponse is a TypedDict: the dict Lambda expects.
    return process_partial_response(  # type: ignore[return-value]
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        context=context,
    )


def process_threads(
    event: dict[str, Any],
    context: Any,
    deps: ThreadDeps,
    breaker: CircuitBreaker,
    metrics: Metrics,
) -> dict[str, Any]:
    """The thread worker's response, with the batch's metrics recorded."""
    tally = ThreadTally()
    response = _partial(
        event,
        context,
        lambda body: refresh_thread(ThreadRequest.model_validate_json(body), deps, tally),
        deps.log,
    )
    tally.record(metrics)
    record_breakers(metrics, [breaker])
    return response


def process_slices(
    event: dict[str, Any], context: Any, deps: FetchDeps, metrics: Metrics
) -> dict[str, Any]:
    """The refresh-slice worker's response, with the batch's metrics recorded."""
    total = Tally()

    def handle(body: str) -> None:
        request = SliceRequest.model_validate_json(body)
        tally = refresh_slice(request, deps)
        total.add(tally)
        deps.log.info(
            "slice refreshed",
            extra={
                "project": request.project,
                "since": request.since.isoformat(),
                "before": request.before.isoformat(),
                **tally.as_dict(),
            },
        )

    response = _partial(event, context, handle, deps.log)
    record_tally(metrics, total)
    record_breakers(metrics, [deps.breaker])
    return response
