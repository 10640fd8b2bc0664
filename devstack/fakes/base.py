"""A Flask app served on loopback in a thread, with faults injected on demand: by the test
that owns it (``fail_next``) or over HTTP (``/_faults``, listed in stack.json)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from werkzeug.serving import BaseWSGIServer, make_server

from devstack.fakes.faults import CONTROL_PATH, DROP_AFTER_HANDLING, Fault, FaultRequest, Faults

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Set on a request's WSGI environ when its answer is to be dropped (``drop_after_handling``).
_DROP = "fleet.drop_after_handling"
# Set on a request's WSGI environ to the fault that cuts its body short (``after_bytes``).
_CUT = "fleet.cut_body"

__all__ = ["CONTROL_PATH", "FakeServer", "Fault"]


class FakeServer:
    """Subclasses add routes to ``self.app`` in ``__init__``."""

    def __init__(self, name: str) -> None:
        self.app = Flask(name)
        self.faults = Faults()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[dict[str, Any]] = []
        self.app.before_request(self._before)
        self.app.after_request(self._after)
        self.app.wsgi_app = _dropping(self.app.wsgi_app)  # type: ignore[method-assign,assignment]
        self.app.add_url_rule(CONTROL_PATH, "list_faults", self._list_faults, methods=["GET"])
        self.app.add_url_rule(CONTROL_PATH, "add_fault", self._add_fault, methods=["POST"])
        self.app.add_url_rule(CONTROL_PATH, "clear_faults", self._clear_faults, methods=["DELETE"])

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` requests whose path contains ``fault.path_contains``
        with the fault (a delay with status 200 just slows the real answer down)."""
        self.faults.add(fault, times=times)

    def _list_faults(self) -> Response:
        return jsonify({"faults": self.faults.listing()})

    def _add_fault(self) -> tuple[Response, int]:
        """``POST /_faults``: ``{"path_contains": "/Messages", "status": 429, "headers":
        {"Retry-After": "3"}, "seconds": 60}`` (or ``"times": N``, default 1); or
        ``{"path_contains": "/Messages", "action": "drop_after_handling", "times": 1}``: the
        request is handled and its answer never sent."""
        try:
            wanted = FaultRequest.model_validate(request.get_json(force=True, silent=True))
        except ValidationError as err:
            problems = [
                {"field": ".".join(str(p) for p in e["loc"]) or "body", "reason": e["msg"]}
                for e in err.errors()
            ]
            return jsonify(
                {"status": "error", "error_code": "INVALID_FAULT", "errors": problems}
            ), 400
        times = wanted.times if wanted.seconds is None and wanted.times is not None else 1
        self.faults.add(wanted.fault(), times=times, seconds=wanted.seconds)
        return jsonify({"faults": self.faults.listing()}), 201

    def _clear_faults(self) -> Response:
        return jsonify({"cleared": self.faults.clear()})

    def _before(self) -> Response | None:
        if request.path == CONTROL_PATH:  # the control endpoint takes no faults itself
            return None
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "form": request.form.to_dict(),
                "json": request.get_json(silent=True),
                "headers": dict(request.headers),
            }
        )
        fault = self.faults.take(request.path)
        if fault is None:
            return None
        time.sleep(fault.delay_seconds)
        if fault.after_bytes is not None:  # the view runs on the cut body; answered after
            request.environ[_CUT] = fault
            return None
        if fault.action == DROP_AFTER_HANDLING:
            request.environ[_DROP] = True
            return None
        if fault.status == 200:
            return None
        return _answer(fault)

    def _after(self, response: Response) -> Response:
        """A request whose body was cut short gets the fault's answer, or none."""
        cut: Fault | None = request.environ.get(_CUT)
        if cut is None:
            return response
        if cut.action == DROP_AFTER_HANDLING:
            request.environ[_DROP] = True
            return response
        return response if cut.status == 200 else _answer(cut)

    @staticmethod
    def body() -> bytes:
        """The request's body as far as it arrived: what a fault's ``after_bytes`` leaves
        of it. A view that stores what it receives reads its body here."""
        data = request.get_data()
        cut: Fault | None = request.environ.get(_CUT)
        return data if cut is None or cut.after_bytes is None else data[: cut.after_bytes]

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


def _answer(fault: Fault) -> Response:
    response = jsonify(fault.body)
    response.status_code = fault.status
    response.headers.update(fault.headers)
    return response


def _dropping(wsgi_app: WSGIApplication) -> WSGIApplication:
    """Wrap a fake's WSGI app so that a request marked ``_DROP`` is handled in full (the
    fake's state changes as for any request) and then gets no answer: its socket is shut
    down before a byte of the response is written, as when a connection is lost on the way
    back. The client sees the connection closed without a response (``RemoteDisconnected``
    under requests' ``ConnectionError``)."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def answer(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if environ.get(_DROP):
                return lambda _data: None
            return start_response(status, headers, exc_info)

        body = wsgi_app(environ, answer)
        if not environ.get(_DROP):
            return body
        try:
            for _chunk in body:  # the whole answer is produced, as for any request
                pass
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        connection: socket.socket = environ["werkzeug.socket"]
        connection.shutdown(socket.SHUT_RDWR)
        # Werkzeug's server takes a ConnectionError as a dropped client and writes nothing.
        raise ConnectionAbortedError("drop_after_handling: the answer was not sent")

    return app
