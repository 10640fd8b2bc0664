"""The local Lambda service: every function the program declares can be invoked through the
local AWS endpoint's Lambda Invoke API, which is what a state machine's Lambda task, a
schedule, ``make invoke`` and ``aws lambda invoke --endpoint-url ...`` all call.

moto's own Lambda runs functions in Docker; here each function runs in a warm process of its
own (``function_host.py``), started on its first invocation with the environment the program
gives it, its JSON logs in ``logs/<function>.log``, and reused until the stack stops. Like a
single execution environment it takes one invocation at a time; a second waits its turn.
A function that outlives its timeout is stopped (the next invocation starts it afresh) and
answers ``Sandbox.Timedout``, as Lambda does. After each invocation a ``platform.report``
line goes into the function's log, as Lambda writes one (the local stack's Errors metrics are
read from it).

A failed asynchronous invocation is retried as the function's ``FunctionEventInvokeConfig``
says (Lambda's defaults without one: two more attempts, one and then two minutes later;
``retry_delays`` shortens the waits), never once the event is older than its maximum age;
after the last try, Lambda's invocation record (the event, the condition and the error) goes
to the on-failure destination if the function declares one, and the console says so.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import requests
from botocore.exceptions import ClientError

from devstack.declared import DeclaredFunction, function_name
from devstack.processes import free_port, start_logged, stop_process, wait_for_port
from devstack.services.awslambda.destinations import arn_name, send
from devstack.services.awslambda.function_host import FUNCTION_ERROR_HEADER, REQUEST_ID_HEADER
from devstack.services.cloudwatch.log_metrics import ERROR, SUCCESS, TIMEOUT, platform_report
from infra.registry import APPS_DIR

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations/?$")
# Importing an app (boto3, powertools, pydantic) is the slow part of a cold start.
COLD_START_TIMEOUT = 60.0
# How long Lambda waits before each retry of a failed asynchronous invocation (a
# schedule's, an Event): one minute before the second attempt, two before the third.
ASYNC_RETRY_DELAYS = (60.0, 120.0)
TIMED_OUT = "Sandbox.Timedout"


@dataclass(frozen=True)
class InvocationResult:
    payload: bytes
    error_type: str | None  # None when the handler returned
    seconds: float
    cold_start_seconds: float | None = None
    request_id: str = ""


def failure_record(
    function: DeclaredFunction,
    event: bytes,
    result: InvocationResult,
    request_id: str,
    attempts: int,
    condition: str,
    now: datetime,
) -> dict[str, Any]:
    """Lambda's invocation record for an asynchronous invocation that failed for good
    (``condition``: ``RetriesExhausted`` or ``EventAgeExceeded``), as its on-failure
    destination receives it: the event, and the last attempt's error."""
    return {
        "version": "1.0",
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function.arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": json.loads(event or b"{}"),
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": json.loads(result.payload),
    }


def _attempts(count: int) -> str:
    return f"{count} attempt" + ("" if count == 1 else "s")


def _error(error_type: str, message: str, started: float) -> InvocationResult:
    payload = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
    return InvocationResult(payload, error_type, time.monotonic() - started)


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0


def _console(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class FunctionHosts:
    """The declared functions and the processes that run them."""

    def __init__(
        self,
        host: str,
        log_dir: Path,
        apps_dir: Path = APPS_DIR,
        report: Callable[[str], None] = _console,
        retry_delays: Sequence[float] = ASYNC_RETRY_DELAYS,
    ) -> None:
        self.host = host
        self.log_dir = log_dir
        self.apps_dir = apps_dir
        self.report = report
        self.retry_delays = tuple(retry_delays)
        self._stopped = threading.Event()
        self.functions: dict[str, DeclaredFunction] = {}
        self._environment: Callable[[DeclaredFunction], dict[str, str]] = lambda f: f.environment
        self._hosts: dict[str, _Host] = {}
        self._registry_lock = threading.Lock()

    def declare(
        self,
        functions: Iterable[DeclaredFunction],
        environment: Callable[[DeclaredFunction], dict[str, str]],
    ) -> None:
        """The functions to serve and the environment each runs with (the program's plus
        whatever points it at the local stack)."""
        self.functions = {f.name: f for f in functions}
        self._environment = environment

    def resolve(self, reference: str) -> DeclaredFunction | None:
        return self.functions.get(function_name(reference))

    def invoke(self, function: DeclaredFunction, payload: bytes) -> InvocationResult:
        """Run the function once with ``payload`` (JSON) as its event; waits its turn."""
        with self._registry_lock:
            host = self._hosts.setdefault(function.name, _Host())
        with host.lock:
            started = time.monotonic()
            cold_start = None
            if host.process is None or host.process.poll() is not None:
                try:
                    self._start(function, host)
                except (ChildProcessError, TimeoutError) as err:
                    log = self.log_dir / f"{function.name}.log"
                    message = f"the function's process did not start ({err}); see {log}"
                    result = _error("Runtime.InitError", message, started)
                    self._report(function, result)
                    return result
                cold_start = time.monotonic() - started
            result = self._send(function, host, payload)
        if cold_start is not None:
            result = InvocationResult(
                result.payload, result.error_type, result.seconds, cold_start, result.request_id
            )
        self._report(function, result)
        return result

    def invoke_async(self, function: DeclaredFunction, payload: bytes) -> None:
        """An ``Event`` invocation: run in the background, retried as Lambda retries one,
        each attempt's outcome on the console."""
        threading.Thread(target=self._with_retries, args=(function, payload), daemon=True).start()

    def _with_retries(self, function: DeclaredFunction, payload: bytes) -> None:
        config = function.async_config
        request_id = str(uuid.uuid4())
        queued = time.monotonic()
        retries = min(config.maximum_retry_attempts, len(self.retry_delays))
        attempt = 0
        while True:
            attempt += 1
            result = self.invoke(function, payload)
            if result.error_type is None:
                return
            if attempt > retries:
                condition = "RetriesExhausted"
                break
            delay = self.retry_delays[attempt - 1]
            if time.monotonic() - queued + delay > config.maximum_event_age_seconds:
                condition = "EventAgeExceeded"
                break
            self.report(f"[lambda] {function.name}: attempt {attempt + 1} in {delay:g} s")
            if self._stopped.wait(delay):
                return
        self._failed(function, payload, result, request_id, attempt, condition)

    def _failed(
        self,
        function: DeclaredFunction,
        payload: bytes,
        result: InvocationResult,
        request_id: str,
        attempts: int,
        condition: str,
    ) -> None:
        """After the last try: the record to the on-failure destination, or the event
        dropped (Lambda keeps nothing without a destination)."""
        destination = function.async_config.on_failure
        if destination is None:
            self.report(f"[lambda] {function.name}: event dropped after {_attempts(attempts)}")
            return
        record = failure_record(
            function, payload, result, request_id, attempts, condition, datetime.now(UTC)
        )
        try:
            send(destination, json.dumps(record))
        except (ClientError, ValueError) as err:
            self.report(
                f"[lambda] {function.name}: event dropped after {_attempts(attempts)}: "
                f"its on-failure destination refused it ({err})"
            )
            return
        self.report(
            f"[lambda] {function.name}: event failed after {_attempts(attempts)} ({condition}); "
            f"its record is in {arn_name(destination)}"
        )

    def stop(self) -> None:
        self._stopped.set()
        with self._registry_lock:
            hosts = list(self._hosts.values())
        running = [h.process for h in hosts if h.process is not None and h.process.poll() is None]
        for process in running:  # all told at once, then each waited for
            process.terminate()
        for process in running:
            stop_process(process)

    def _start(self, function: DeclaredFunction, host: _Host) -> None:
        host.port = free_port(self.host)
        host.process = start_logged(
            [
                "devstack.services.awslambda.function_host",
                function.app,
                function.handler,
                "--function-arn",
                function.arn,
                "--host",
                self.host,
                "--port",
                str(host.port),
                "--timeout",
                str(function.timeout),
                "--memory",
                str(function.memory),
                "--apps-dir",
                str(self.apps_dir),
            ],
            self._environment(function),
            self.log_dir / f"{function.name}.log",
        )
        if self._stopped.is_set():  # stop() ran meanwhile and did not see this process
            stop_process(host.process)
            raise ChildProcessError("the local stack is stopping")
        try:
            wait_for_port(self.host, host.port, COLD_START_TIMEOUT, host.process)
        except TimeoutError:
            stop_process(host.process)
            raise

    def _send(self, function: DeclaredFunction, host: _Host, payload: bytes) -> InvocationResult:
        started = time.monotonic()
        try:
            response = requests.post(
                f"http://{self.host}:{host.port}/",
                data=payload,
                headers={"Content-Type": "application/json"},
                timeout=(5, function.timeout),
            )
        except requests.Timeout:
            if host.process is not None:
                stop_process(host.process)
            message = f"Task timed out after {function.timeout:.2f} seconds"
            return _error(TIMED_OUT, message, started)
        except requests.ConnectionError:
            message = "the function's process exited during the invocation"
            return _error("Runtime.ExitError", message, started)
        error_type = None
        if response.headers.get(FUNCTION_ERROR_HEADER):
            error_type = str(response.json().get("errorType", "Unhandled"))
        return InvocationResult(
            response.content,
            error_type,
            time.monotonic() - started,
            request_id=response.headers.get(REQUEST_ID_HEADER, ""),
        )

    def _report(self, function: DeclaredFunction, result: InvocationResult) -> None:
        """The console line, and Lambda's ``platform.report`` line in the function's log."""
        outcome = f"failed: {result.error_type}" if result.error_type else "succeeded"
        cold = (
            f" (cold start {result.cold_start_seconds:.2f} s)"
            if result.cold_start_seconds is not None
            else ""
        )
        self.report(f"[lambda] {function.name} {outcome} in {result.seconds:.2f} s{cold}")
        status = SUCCESS if result.error_type is None else ERROR
        if result.error_type == TIMED_OUT:
            status = TIMEOUT
        line = platform_report(
            result.request_id or str(uuid.uuid4()),
            status,
            result.seconds * 1000,
            result.error_type,
        )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{function.name}.log").open("a") as log:
            log.write(line + "\n")


class LambdaInvokeFront:
    """WSGI middleware in front of moto: Invoke of a declared function is answered by its
    host, everything else (other functions included) goes on to moto."""

    def __init__(self, aws: WSGIApplication, functions: FunctionHosts) -> None:
        self.aws = aws
        self.functions = functions

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        match = _INVOKE_PATH.match(environ.get("PATH_INFO", ""))
        function = None
        if match and environ.get("REQUEST_METHOD") == "POST":
            function = self.functions.resolve(unquote(match["function"]))
        if function is None:
            return self.aws(environ, start_response)
        payload = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = [("Content-Type", "application/json")]
        try:
            json.loads(payload or b"{}")
        except ValueError as err:
            # What Lambda answers, so the SDK raises InvalidRequestContentException.
            headers.append(("x-amzn-ErrorType", "InvalidRequestContentException"))
            start_response("400 Bad Request", headers)
            message = f"Could not parse request body into json: {err}"
            return [json.dumps({"Type": "User", "message": message}).encode()]
        invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")
        headers.append(("X-Amz-Executed-Version", "$LATEST"))
        if invocation_type == "DryRun":
            start_response("204 No Content", headers)
            return [b""]
        if invocation_type == "Event":
            self.functions.invoke_async(function, payload)
            start_response("202 Accepted", headers)
            return [b""]
        result = self.functions.invoke(function, payload)
        if result.error_type is not None:
            headers.append((FUNCTION_ERROR_HEADER, "Unhandled"))
        start_response("200 OK", headers)
        return [result.payload]
