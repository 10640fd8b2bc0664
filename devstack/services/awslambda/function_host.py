"""One declared function kept warm in its own process, as a Lambda execution environment is:
``python -m devstack.services.awslambda.function_host <app> <handler> --port ...``, started on
its first invocation by the local Lambda service (``service.py``) with the environment the
program gives that function.

It answers ``POST`` with the event as body the way Lambda's Invoke does: the handler's result
as JSON, or, when the handler raised, ``X-Amz-Function-Error: Unhandled`` and Lambda's error
document (``errorType`` is the exception's class name, which is what a state machine's
``Retry`` and ``Catch`` match). One invocation at a time, like one execution environment.
"""

from __future__ import annotations

import argparse
import json
import signal
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from chalice.local import LambdaContext

from devstack.services.awslambda.apps import load_app
from infra.registry import APPS_DIR

FUNCTION_ERROR_HEADER = "X-Amz-Function-Error"
REQUEST_ID_HEADER = "X-Amzn-RequestId"
Handler = Callable[[Any, LambdaContext], Any]


def error_document(err: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """Lambda's Python runtime's answer for an unhandled exception."""
    return {
        "errorMessage": str(err),
        "errorType": error_type or type(err).__name__,
        "stackTrace": traceback.format_tb(err.__traceback__),
    }


def run_handler(handler: Handler, event: Any, context: LambdaContext) -> tuple[bytes, bool]:
    """The response body and whether it is an error, as Lambda's runtime would produce them
    (the result must serialise to JSON)."""
    try:
        result = handler(event, context)
    except Exception as err:
        # Into the function's log, as Lambda writes it; the console gets one line.
        print(traceback.format_exc(), flush=True)
        return json.dumps(error_document(err)).encode(), True
    try:
        return json.dumps(result).encode(), False
    except (TypeError, ValueError) as err:
        return json.dumps(error_document(err, "Runtime.MarshalError")).encode(), True


def make_server(
    handler: Handler, function_arn: str, memory: int, timeout: int, host: str, port: int
) -> HTTPServer:
    function_name = function_arn.rsplit(":", 1)[-1]

    class Invocation(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                event = json.loads(body or b"{}")  # Lambda sends {} when there is no payload
            except ValueError:
                self.send_error(400, "the event is not JSON")
                return
            context = LambdaContext(function_name, memory, max_runtime_ms=timeout * 1000)
            context.invoked_function_arn = function_arn
            payload, failed = run_handler(handler, event, context)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header(REQUEST_ID_HEADER, context.aws_request_id)
            if failed:
                self.send_header(FUNCTION_ERROR_HEADER, "Unhandled")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """The Lambda service prints one line per invocation; nothing more here."""

    return HTTPServer((host, port), Invocation)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app")
    parser.add_argument("handler", help="the package's handler, e.g. app.handler")
    parser.add_argument("--function-arn", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--timeout", type=int, default=3, help="the function's, in seconds")
    parser.add_argument("--memory", type=int, default=128)
    parser.add_argument("--apps-dir", type=Path, default=APPS_DIR)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    handler = getattr(load_app(args.app, args.apps_dir), args.handler.removeprefix("app."))
    server = make_server(
        handler, args.function_arn, args.memory, args.timeout, args.host, args.port
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
