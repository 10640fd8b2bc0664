"""One SQS event source of the local stack: poll the queue, invoke the function's handler.

Runs in its own process per event-source mapping the program declares
(``python -m devstack.services.sqs.worker <app> app.<handler> ...``), with the environment the
program gives that function, and prints one line per message handled or failed. Its stdout
is the function's log: after each invocation (a batch) it writes Lambda's
``platform.report`` line there, from which the local stack reads the function's Errors.

An invocation that outlives the function's timeout ends as Lambda ends it: a ``timeout``
report, and the execution environment — this process — is gone; the stack starts a new one
and the batch's messages come back after their visibility timeout, none deleted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from types import FrameType
from typing import Any

import boto3
from chalice.local import LambdaContext

from devstack.services.awslambda.apps import load_app
from devstack.services.cloudwatch.log_metrics import ERROR, SUCCESS, TIMEOUT, platform_report
from devstack.services.sqs.delivery import deliver_once

_stopping = False
# The exit status of a worker whose invocation timed out (the supervisor replaces it).
TIMED_OUT_EXIT = 124


def _stop(signum: int, frame: FrameType | None) -> None:
    global _stopping
    _stopping = True


def within_timeout(call: Callable[[], Any], timeout: int, tag: str, event: dict[str, Any]) -> Any:
    """Run one invocation, at most ``timeout`` seconds; past that, end this process as
    Lambda ends a timed-out environment (the handler's thread cannot be stopped otherwise).

    Raises:
        whatever the handler raised.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except BaseException as err:  # handed to the caller as the handler raised it
            outcome["error"] = err

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        ids = [record.get("messageId") for record in event.get("Records", [])]
        print(
            platform_report(str(uuid.uuid4()), TIMEOUT, (time.monotonic() - started) * 1000),
            flush=True,
        )
        print(
            f"{tag} invocation timed out after {timeout} s (Sandbox.Timedout); messages {ids} "
            "come back after their visibility timeout, and a new process takes over",
            file=sys.stderr,
            flush=True,
        )
        os._exit(TIMED_OUT_EXIT)  # no clean-up can run in a hung handler's process
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app")
    parser.add_argument("handler", help="the package's handler, e.g. app.whatsapp_processor")
    parser.add_argument("--function-name", required=True)
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--queue-arn", required=True)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--timeout", type=int, default=60, help="the function's, in seconds")
    parser.add_argument("--memory", type=int, default=128)
    parser.add_argument("--region", required=True)
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=None,
        help="receive with this visibility instead of the queue's (faster redelivery)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    sqs = boto3.client("sqs", region_name=args.region)
    # The app is imported for the first batch, as Lambda initialises an environment for its
    # first invocation: a stack's workers then cost nothing until their queue has work.
    handlers: list[Callable[..., Any]] = []

    tag = f"[{args.function_name}]"

    def invoke(event: dict[str, Any]) -> Any:
        if not handlers:  # the init phase: outside the invocation's timeout, as in Lambda
            handlers.append(getattr(load_app(args.app), args.handler.removeprefix("app.")))
        handler = handlers[0]
        # A context per invocation, as Lambda gives: its remaining time counts from now (one
        # made at start-up told every later invocation it had no time left).
        context = LambdaContext(args.function_name, args.memory, max_runtime_ms=args.timeout * 1000)
        return within_timeout(lambda: handler(event, context), args.timeout, tag, event)

    while not _stopping:
        delivery = deliver_once(
            sqs,
            args.queue_url,
            args.queue_arn,
            args.batch_size,
            invoke,
            args.region,
            args.visibility_timeout,
            wait_seconds=1,
        )
        if delivery.received:
            status = ERROR if delivery.crashed else SUCCESS
            report = platform_report(
                str(uuid.uuid4()), status, delivery.seconds * 1000, delivery.error_type
            )
            print(report, flush=True)
        for message_id in delivery.received:
            receives = delivery.receive_counts[message_id]
            if message_id in delivery.failed:
                outcome = "crashed" if delivery.crashed else "failed"
                print(
                    f"{tag} sqs message {message_id} {outcome} (receive {receives}); "
                    "back on the queue after its visibility timeout",
                    file=sys.stderr,
                    flush=True,
                )
            else:
                print(
                    f"{tag} sqs message {message_id} handled (receive {receives})",
                    file=sys.stderr,
                    flush=True,
                )
    sys.exit(0)


if __name__ == "__main__":
    main()
