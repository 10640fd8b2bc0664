"""A Flask app served on loopback in a thread, with faults injected on demand."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class Fault:
    """What the next matching request gets instead of a normal answer."""

    path_contains: str
    status: int = 500
    body: dict[str, Any] = field(default_factory=lambda: {"error": "injected fault"})
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """Subclasses add routes to ``self.app`` in ``__init__``."""

    def __init__(self, name: str) -> None:
        self.app = Flask(name)
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[dict[str, Any]] = []
        self.app.before_request(self._before)

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` requests whose path contains ``fault.path_contains``
        with the fault (a delay with status 200 just slows the real answer down)."""
        with self._lock:
            self._faults.extend([fault] * times)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path_contains in path:
                    self._faults.remove(fault)
                    return fault
        return None

    def _before(self) -> Response | None:
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "form": request.form.to_dict(),
                "json": request.get_json(silent=True),
                "headers": dict(request.headers),
            }
        )
        fault = self._take_fault(request.path)
        if fault is None:
            return None
        time.sleep(fault.delay_seconds)
        if fault.status == 200:
            return None
        response = jsonify(fault.body)
        response.status_code = fault.status
        response.headers.update(fault.headers)
        return response

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL."""
        self._server = make_server(host, port, self.app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        return f"http://{self._server.host}:{self._server.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
