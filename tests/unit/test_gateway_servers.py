"""The local gateway can serve an app any number of times in one process (tests start a
server per module): nothing it does to an app leaks into the next server."""

from __future__ import annotations

import threading

import requests
from chalice.local import LocalChalice

from devstack.services.apigateway.gateway import make_server
from devstack.services.awslambda.apps import load_app


def _serve_once(api_key: str) -> int:
    server = make_server("mentions", "127.0.0.1", 0, api_key)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server.server_address[1]
        return requests.get(f"http://127.0.0.1:{port}/mentions", timeout=10).status_code
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join()


def test_the_same_app_served_twice_answers_both_times() -> None:
    # Chalice's create_local_server made the second call fail with an inheritance cycle.
    assert _serve_once("first-key") == 403  # no key: refused by the gateway, not a crash
    assert _serve_once("second-key") == 403


def test_the_served_app_keeps_its_request_per_thread_and_its_own_class() -> None:
    _serve_once("key")
    app = load_app("mentions").app

    assert isinstance(app, LocalChalice)
    assert type(app).__name__ == f"Local{type(app).__mro__[2].__name__}"
