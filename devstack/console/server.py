"""The local console's HTTP server: one page (``static/``) and the JSON API it calls, on
loopback, in a thread of the local stack.

It answers loopback clients only, and only requests whose ``Host`` is a loopback address
(a web page elsewhere cannot reach it by DNS rebinding); a request that changes something
must be ``POST``/``DELETE`` with a JSON body, which a cross-site form cannot send. Each
route is one call of ``operations`` on a resource the catalog holds: a name the program did
not declare is a 404.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from devstack.console import graph, try_it
from devstack.console import operations as ops
from devstack.console.catalog import Catalog
from devstack.services.events.schedules import ScheduledTarget

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

STATIC = Path(__file__).parent / "static"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}
MAX_BODY = 256 * 1024
LOG_LINES = range(1, 1001)


@dataclass
class ConsoleContext:
    """What the console reads and acts on: the catalog, clients for the stack's endpoint,
    its log and inbox folders, the fakes' fault controls, and how the stack fires a
    schedule (``stack.fire``)."""

    catalog: Catalog
    session: boto3.session.Session
    endpoint: str
    log_dir: Path
    inbox_dir: Path
    fault_controls: dict[str, str]
    fire: Callable[[ScheduledTarget], None]

    # The clients are made when a page first needs them, not at the stack's start: making
    # five (each service's model read from disk) took seconds while the workers started.
    # One at a time: a boto3 session makes clients on one thread at a time.
    _making: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _client(self, service: str, config: Config | None = None) -> Any:
        with self._making:
            return self.session.client(  # type: ignore[call-overload]
                service, endpoint_url=self.endpoint, config=config
            )

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._client("dynamodb")
        return client

    @cached_property
    def sqs(self) -> SQSClient:
        client: SQSClient = self._client("sqs")
        return client

    @cached_property
    def cloudwatch(self) -> Any:
        """Untyped: the CloudWatch stubs are not installed."""
        return self._client("cloudwatch")

    @cached_property
    def sfn(self) -> SFNClient:
        client: SFNClient = self._client("stepfunctions")
        return client

    @cached_property
    def lambda_client(self) -> LambdaClient:
        """An invocation may take a cold start and the function's whole timeout; never
        retried: a second run is not what the person asked for."""
        longest = max((f.timeout for f in self.catalog.functions.values()), default=3)
        client: LambdaClient = self._client(
            "lambda", Config(read_timeout=longest + 90, retries={"total_max_attempts": 1})
        )
        return client

    @cached_property
    def http(self) -> requests.Session:
        return requests.Session()


Handler = Callable[[ConsoleContext, re.Match[str], dict[str, str], Any], Any]


def _found(table: dict[str, Any], name: str, kind: str) -> Any:
    if name not in table:
        raise ops.NotFoundError(f"the program declares no {kind} {name!r}")
    return table[name]


def _int(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError as err:
        raise ops.BadRequestError(f"{name} must be a whole number") from err


def _try(c: ConsoleContext, m: re.Match[str], q: dict[str, str], body: Any) -> Any:
    system = _found(c.catalog.systems, m["name"], "system")
    if system.api is None:
        raise ops.NotFoundError(f"{system.name} declares no API")
    return try_it.send(c.http, system.api, try_it.parse(body))


def _table_items(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    table = _found(c.catalog.tables, m["name"], "table")
    return ops.scan_page(c.dynamodb, table.name, _int(q, "limit", 25), q.get("next"))


def _table_query(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    table = _found(c.catalog.tables, m["name"], "table")
    if not q.get("hash"):
        raise ops.BadRequestError("hash (the hash key's value) is required")
    condition = (q.get("range_op", "="), q["range"]) if q.get("range") else None
    return ops.query_page(
        c.dynamodb,
        table,
        q.get("index", ""),
        q["hash"],
        condition,
        _int(q, "limit", 25),
        q.get("next"),
    )


def _queues(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    return {"queues": [ops.queue_depths(c.sqs, queue) for queue in c.catalog.queues.values()]}


def _messages(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    queue = _found(c.catalog.queues, m["name"], "queue")
    return {"messages": ops.peek_messages(c.sqs, queue)}


def _redrive(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    queue = _found(c.catalog.queues, m["name"], "queue")
    if queue.source is None:
        raise ops.BadRequestError(f"{queue.name} is no queue's dead-letter queue")
    return {"moved": ops.redrive(c.sqs, queue, c.catalog.queues[queue.source])}


def _delete(c: ConsoleContext, m: re.Match[str], q: dict[str, str], body: Any) -> Any:
    queue = _found(c.catalog.queues, m["name"], "queue")
    ops.delete_message(c.sqs, queue, m["message"])
    return {"deleted": m["message"]}


def _alarms(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    return {
        "alarms": ops.alarm_states(c.cloudwatch, c.catalog.alarms),
        "inbox": ops.inbox(c.inbox_dir),
    }


def _schedule_view(schedule_id: str, target: ScheduledTarget) -> dict[str, Any]:
    zone = ZoneInfo(target.schedule.timezone or "UTC")
    return {
        "id": schedule_id,
        "expression": target.schedule.expression,
        "timezone": target.schedule.timezone or "UTC",
        "next_fire": target.next_fire.astimezone(UTC).isoformat(timespec="seconds"),
        # On the schedule's own clock too, as EventBridge Scheduler's console shows it.
        "next_fire_local": target.next_fire.astimezone(zone).isoformat(timespec="seconds"),
        "target": target.target_arn,
    }


def _schedules(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    return {"schedules": [_schedule_view(i, t) for i, t in c.catalog.schedules.items()]}


def _fire(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    target = _found(c.catalog.schedules, m["name"], "schedule")
    c.fire(target)
    return {"fired": m["name"], "at": datetime.now(UTC).isoformat()}


def _functions(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    return {
        "functions": [
            {"name": f.name, "app": f.app, "handler": f.handler, "timeout": f.timeout}
            for f in c.catalog.functions.values()
        ]
    }


def _invoke(c: ConsoleContext, m: re.Match[str], q: dict[str, str], body: Any) -> Any:
    function = _found(c.catalog.functions, m["name"], "function")
    return ops.invoke(c.lambda_client, function.name, json.dumps(body))


def _log(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    function = _found(c.catalog.functions, m["name"], "function")
    lines = _int(q, "lines", 200)
    if lines not in LOG_LINES:
        raise ops.BadRequestError(f"lines must be 1-{LOG_LINES[-1]}")
    return {"lines": ops.tail(c.log_dir / f"{function.name}.log", lines)}


def _faults(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    return {"faults": ops.faults(c.http, c.fault_controls)}


def _arm(c: ConsoleContext, m: re.Match[str], q: dict[str, str], body: Any) -> Any:
    url = _found(c.fault_controls, m["name"], "fake")
    return ops.set_faults(c.http, url, "POST", body)


def _clear(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    return ops.set_faults(c.http, _found(c.fault_controls, m["name"], "fake"), "DELETE")


def _executions(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    arn = _found(c.catalog.state_machines, m["name"], "state machine")
    return {"executions": ops.executions(c.sfn, arn)}


def _graph(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    arn = _found(c.catalog.state_machines, m["name"], "state machine")
    return graph.layout(ops.definition(c.sfn, arn))


def _start(c: ConsoleContext, m: re.Match[str], q: dict[str, str], body: Any) -> Any:
    arn = _found(c.catalog.state_machines, m["name"], "state machine")
    return ops.start_execution(c.sfn, arn, {} if body is None else body)


def _history(c: ConsoleContext, m: re.Match[str], q: dict[str, str], _: Any) -> Any:
    arn = _found(c.catalog.state_machines, m["name"], "state machine")
    execution = q.get("execution", "")
    # Only an execution of this machine: its ARN is the machine's, ":execution:" for
    # ":stateMachine:".
    if not execution.startswith(arn.replace(":stateMachine:", ":execution:") + ":"):
        raise ops.BadRequestError("execution must be an execution ARN of this state machine")
    return {"events": ops.history(c.sfn, execution)}


_NAME = r"(?P<name>[A-Za-z0-9._:-]+)"
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r"/api/overview"), lambda c, m, q, b: c.catalog.overview()),
    ("POST", re.compile(rf"/api/systems/{_NAME}/request"), _try),
    ("GET", re.compile(rf"/api/tables/{_NAME}/items"), _table_items),
    ("GET", re.compile(rf"/api/tables/{_NAME}/query"), _table_query),
    ("GET", re.compile(r"/api/queues"), _queues),
    ("GET", re.compile(rf"/api/queues/{_NAME}/messages"), _messages),
    ("POST", re.compile(rf"/api/queues/{_NAME}/redrive"), _redrive),
    ("DELETE", re.compile(rf"/api/queues/{_NAME}/messages/(?P<message>[A-Za-z0-9-]+)"), _delete),
    ("GET", re.compile(r"/api/alarms"), _alarms),
    ("GET", re.compile(r"/api/schedules"), _schedules),
    ("POST", re.compile(rf"/api/schedules/{_NAME}/fire"), _fire),
    ("GET", re.compile(r"/api/functions"), _functions),
    ("POST", re.compile(rf"/api/functions/{_NAME}/invoke"), _invoke),
    ("GET", re.compile(rf"/api/functions/{_NAME}/log"), _log),
    ("GET", re.compile(r"/api/faults"), _faults),
    ("POST", re.compile(rf"/api/faults/{_NAME}"), _arm),
    ("DELETE", re.compile(rf"/api/faults/{_NAME}"), _clear),
    ("GET", re.compile(rf"/api/state-machines/{_NAME}/executions"), _executions),
    ("POST", re.compile(rf"/api/state-machines/{_NAME}/executions"), _start),
    ("GET", re.compile(rf"/api/state-machines/{_NAME}/history"), _history),
    ("GET", re.compile(rf"/api/state-machines/{_NAME}/graph"), _graph),
]


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return address == "localhost"


class ConsoleHandler(BaseHTTPRequestHandler):
    context: ConsoleContext  # set on the subclass ``serve`` makes
    server_version = "fleet-console"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the page polls, and the stack's console is for the apps' events."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if not _loopback(self.client_address[0]) or not _loopback(host):
            self._error(HTTPStatus.FORBIDDEN, "FORBIDDEN", "the console answers loopback only")
            return
        url = urlsplit(self.path)
        if method == "GET" and not url.path.startswith("/api/"):
            self._static(url.path)
            return
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        for route_method, pattern, handler in ROUTES:
            match = pattern.fullmatch(url.path)
            if match and route_method == method:
                self._call(handler, match, query, method)
                return
        self._error(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"no route {method} {url.path}")

    def _call(
        self, handler: Handler, match: re.Match[str], query: dict[str, str], method: str
    ) -> None:
        try:
            body = self._body() if method != "GET" else None
            self._json(HTTPStatus.OK, handler(self.context, match, query, body))
        except ops.ConsoleError as err:
            self._error(HTTPStatus(err.status), err.code, str(err))
        except (ClientError, BotoCoreError, requests.RequestException) as err:
            # The person at the console is the operator: the cause goes to the stack's
            # console; the page gets the shared error shape.
            print(f"[console] {self.path}: {err}", file=sys.stderr, flush=True)
            self._error(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "DEPENDENCY_FAILED",
                f"the local AWS endpoint, an app or a fake failed: {type(err).__name__}",
            )
        except Exception:  # our own bug: said in the shared shape, the trace on the console
            traceback.print_exc()
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "the console failed")

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ops.BadRequestError(f"the body is over {MAX_BODY} bytes")
        if length and not (self.headers.get("Content-Type") or "").startswith("application/json"):
            raise ops.BadRequestError("the body must be application/json")
        if not length:
            return None
        try:
            return json.loads(self.rfile.read(length))
        except ValueError as err:
            raise ops.BadRequestError(f"the body is not JSON: {err}") from err

    def _static(self, path: str) -> None:
        name = "index.html" if path in ("", "/") else path.lstrip("/")
        file = STATIC / name
        if "/" in name or not file.is_file():
            self._error(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"no page {path}")
            return
        self._send(HTTPStatus.OK, file.read_bytes(), _TYPES.get(file.suffix, "text/plain"))

    def _json(self, status: HTTPStatus, document: Any) -> None:
        self._send(status, json.dumps(document).encode(), "application/json")

    def _error(self, status: HTTPStatus, code: str, message: str) -> None:
        self._json(status, {"status": "error", "error_code": code, "message": message})

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class Console:
    """The console's server, in a daemon thread; ``url`` once started."""

    def __init__(self, context: ConsoleContext, host: str = "127.0.0.1", port: int = 0) -> None:
        if not _loopback(host):
            raise ValueError(f"the console listens on loopback only, not {host}")
        handler = type("BoundConsoleHandler", (ConsoleHandler,), {"context": context})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
