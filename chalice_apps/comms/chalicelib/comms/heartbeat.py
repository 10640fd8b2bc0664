"""Keep an SQS message invisible while it is being worked on.

Without it, a slow AI call could outlast the visibility timeout and a second consumer would
take the same message. A daemon thread calls ChangeMessageVisibility every ``interval``
seconds, setting the timeout to ``visibility`` seconds from now; leaving the ``with`` block
(on success or error) stops it before the message is deleted or failed back.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from shared.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logger("comms-processor")


class SqsHeartbeat:
    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        receipt_handle: str,
        interval: float,
        visibility: int,
    ) -> None:
        if interval >= visibility:
            raise ValueError("the heartbeat interval must be shorter than the visibility")
        self._sqs = sqs
        self._queue_url = queue_url
        self._receipt_handle = receipt_handle
        self._interval = interval
        self._visibility = visibility
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-heartbeat", daemon=True)
        self.beats = 0

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url,
                    ReceiptHandle=self._receipt_handle,
                    VisibilityTimeout=self._visibility,
                )
                self.beats += 1
            except (ClientError, BotoCoreError) as err:
                # The message may already be gone (deleted, or its receipt expired): the work
                # goes on, and SQS may deliver it again, which the conversation record absorbs.
                log.warning("heartbeat failed", extra={"error": str(err)})
                return

    def __enter__(self) -> SqsHeartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
