"""The shared outside-API session against a real HTTP server on loopback: what it retries
(and how often), what it gives up on, the User-Agent and timeout it sends with, and the one
log line per call that holds neither query string nor credentials."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from shared.http_client import retrying_session
from shared.observability import logger

AGENT = "serverless-fleet-test/1.0"


class Server:
    """Answers each request with the next planned (status, headers), then 200; records
    every request it saw."""

    def __init__(self) -> None:
        self.plan: list[tuple[int, dict[str, str]]] = []
        self.seen: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                owner.seen.append({"method": self.command, "path": self.path, **self.headers})
                status, headers = owner.plan.pop(0) if owner.plan else (200, {})
                body = json.dumps({"status": status}).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    thread = threading.Thread(target=running.httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def session(**options: object) -> requests.Session:
    return retrying_session(AGENT, backoff_seconds=0.001, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_passing_failure_is_retried_until_it_answers(server: Server, status: int) -> None:
    server.plan = [(status, {}), (status, {})]

    response = session().get(f"{server.url}/items")

    assert response.status_code == 200
    assert len(server.seen) == 3


def test_after_its_attempts_the_last_answer_is_returned_not_raised(server: Server) -> None:
    server.plan = [(503, {})] * 5

    response = session(attempts=3).get(f"{server.url}/items")

    assert response.status_code == 503
    assert len(server.seen) == 3


def test_retry_after_is_honoured(server: Server) -> None:
    server.plan = [(429, {"Retry-After": "1"})]

    response = session().get(f"{server.url}/items")

    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 1.0


@pytest.mark.parametrize("status", [400, 401, 404])
def test_a_refusal_is_not_retried(server: Server, status: int) -> None:
    server.plan = [(status, {})]

    assert session().get(f"{server.url}/items").status_code == status
    assert len(server.seen) == 1


def test_only_the_methods_named_are_retried(server: Server) -> None:
    server.plan = [(503, {}), (503, {})]
    assert session().post(f"{server.url}/login").status_code == 503
    assert len(server.seen) == 1

    server.plan = [(503, {})]
    assert session(methods=("GET", "POST")).post(f"{server.url}/login").status_code == 200
    assert len(server.seen) == 3


def test_every_request_says_who_is_calling(server: Server) -> None:
    session().get(f"{server.url}/items")

    assert server.seen[0]["User-Agent"] == AGENT


def test_a_request_without_a_timeout_gets_the_sessions_default(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[object] = []
    send = HTTPAdapter.send

    def spy(adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        sent.append(kwargs.get("timeout"))
        return send(adapter, request, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", spy)
    made = session(timeout=7.5)
    made.get(f"{server.url}/items")
    made.get(f"{server.url}/items", timeout=2.0)

    assert sent == [7.5, 2.0]


def test_a_connection_refused_is_retried_then_raised() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]  # bound, then closed: nobody listens there

    with pytest.raises(requests.ConnectionError, match="Max retries exceeded"):
        session(attempts=2).get(f"http://127.0.0.1:{port}/items")


def test_each_call_is_logged_once_without_query_string_or_credentials(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    server.plan = [(503, {})]
    made = retrying_session(AGENT, backoff_seconds=0.001, log=logger("http-client-test"))

    made.get(
        f"{server.url}/mention.php",
        params={"api_key": "secret-key"},
        headers={"Authorization": "Bearer secret-token"},
    )

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    calls = [line for line in lines if line.get("message") == "outside API call"]
    assert len(calls) == 1
    assert {k: calls[0][k] for k in ("method", "host", "status")} == {
        "method": "GET",
        "host": "127.0.0.1",
        "status": 200,
    }
    assert calls[0]["latency_ms"] >= 0
    assert "secret" not in json.dumps(calls) and "mention.php" not in json.dumps(calls)
