"""The local Lambda service: every function the program declares can be invoked through the
local AWS endpoint's Lambda Invoke API, which is what a state machine's Lambda task, a
schedule, ``make invoke`` and ``aws lambda invoke --endpoint-url ...`` all call.

moto's own Lambda runs functions in Docker; here each function runs in a warm process of its
own (``function_host.py``), started on its first invocation with the environment the program
gives it, its JSON logs in ``logs/<function>.log``, and reused until the stack stops. Like a
single execution environment it takes one invocation at a time; a second waits its turn.
A function that outlives its timeout is stopped (the next invocation starts it afresh) and
answers ``Sandbox.Timedout``, as Lambda does; a failed asynchronous invocation is tried
twice more, one and then two minutes later, as Lambda does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import requests

from devstack.declared import DeclaredFunction
from devstack.function_host import FUNCTION_ERROR_HEADER
from devstack.processes import free_port, start_logged, stop_process, wait_for_port
from infra.registry import APPS_DIR

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations/?$")
# Importing an app (boto3, powertools, pydantic) is the slow part of a cold start.
COLD_START_TIMEOUT = 60.0
# What Lambda does with an asynchronous invocation (a schedule's, an Event) that fails: two
# more attempts, one minute and then two minutes later; after that the event is dropped.
ASYNC_RETRY_DELAYS = (60.0, 120.0)


def function_name(reference: str) -> str:
    """The name in any form Invoke accepts: ``name``, ``name:alias``, the function's ARN
    (with or without a qualifier) or the partial ``<account>:function:<name>``."""
    return reference.split(":function:", 1)[-1].split(":", 1)[0]


@dataclass(frozen=True)
class InvocationResult:
    payload: bytes
    error_type: str | None  # None when the handler returned
    seconds: float
    cold_start_seconds: float | None = None


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
            result = InvocationResult(result.payload, result.error_type, result.seconds, cold_start)
        self._report(function, result)
        return result

    def invoke_async(self, function: DeclaredFunction, payload: bytes) -> None:
        """An ``Event`` invocation: run in the background, retried as Lambda retries one,
        each attempt's outcome on the console."""
        threading.Thread(target=self._with_retries, args=(function, payload), daemon=True).start()

    def _with_retries(self, function: DeclaredFunction, payload: bytes) -> None:
        attempts = len(self.retry_delays) + 1
        for attempt in range(1, attempts + 1):
            if self.invoke(function, payload).error_type is None:
                return
            if attempt == attempts:
                self.report(f"[lambda] {function.name}: event dropped after {attempts} attempts")
                return
            delay = self.retry_delays[attempt - 1]
            self.report(f"[lambda] {function.name}: attempt {attempt + 1} in {delay:g} s")
            if self._stopped.wait(delay):
                return

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
                "devstack.function_host",
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
            return _error("Sandbox.Timedout", message, started)
        except requests.ConnectionError:
            message = "the function's process exited during the invocation"
            return _error("Runtime.ExitError", message, started)
        error_type = None
        if response.headers.get(FUNCTION_ERROR_HEADER):
            error_type = str(response.json().get("errorType", "Unhandled"))
        return InvocationResult(response.content, error_type, time.monotonic() - started)

    def _report(self, function: DeclaredFunction, result: InvocationResult) -> None:
        outcome = f"failed: {result.error_type}" if result.error_type else "succeeded"
        cold = (
            f" (cold start {result.cold_start_seconds:.2f} s)"
            if result.cold_start_seconds is not None
            else ""
        )
        self.report(f"[lambda] {function.name} {outcome} in {result.seconds:.2f} s{cold}")


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
