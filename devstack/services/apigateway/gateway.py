"""Serve one Chalice app over HTTP as API Gateway would: Chalice's local server plus what
API Gateway answers itself, which Chalice's own local server does not: the API-key check,
the Cognito user pool authorizer's check of the ID token (``cognito/auth.py``: 401
``UNAUTHORIZED``), and 403 ``MISSING_AUTHENTICATION_TOKEN`` for a path or method the API
does not declare (OPTIONS included, unless the route has CORS), all in the body the
program's gateway responses render (``infra.components.gateway_errors``).

Runs in its own process per app (``python -m devstack.services.apigateway.api_process <app>
--port ...``), so each app sees only the environment the Pulumi program gives its function.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import warnings
from dataclasses import dataclass
from functools import partial
from http.server import HTTPServer
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    LocalChalice,
    LocalDevServer,
    RouteMatcher,
)

from devstack.services.awslambda.apps import load_app
from devstack.services.cognito.auth import (
    AUTHORIZERS_VARIABLE,
    TokenRefusedError,
    TokenVerifier,
    UserPoolAuthorizer,
    authorizers_from_json,
)
from infra.components.gateway_errors import gateway_error

API_KEY_HEADER = "x-api-key"
# API Gateway's own answers, as the program's gateway responses shape them.
FORBIDDEN = json.dumps(gateway_error("INVALID_API_KEY", "Forbidden")).encode()
NOT_DECLARED = json.dumps(
    gateway_error("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
).encode()
UNAUTHORIZED_BODY = json.dumps(gateway_error("UNAUTHORIZED", "Unauthorized")).encode()

log = logging.getLogger("gateway")


@dataclass(frozen=True)
class MethodAuth:
    """What API Gateway checks before a declared method runs."""

    api_key: bool = False
    authorizer: str | None = None  # a Cognito authorizer's name


def declared(app: Chalice, path: str, method: str) -> MethodAuth | None:
    """What the API checks for this method on this path: None when it does not declare it
    (API Gateway answers 403 itself). OPTIONS is declared only where a route enables CORS
    (Chalice then generates it), and needs nothing."""
    try:
        match = RouteMatcher(list(app.routes)).match_route(path.split("?")[0])
    except ValueError:  # no route matches
        return None
    entries = app.routes.get(match.route, {})
    if method.upper() == "OPTIONS":
        return MethodAuth() if any(entry.cors for entry in entries.values()) else None
    entry = entries.get(method.upper())
    if entry is None:
        return None
    return MethodAuth(bool(entry.api_key_required), getattr(entry.authorizer, "name", None))


class KeyCheckingHandler(ChaliceRequestHandler):
    def __init__(
        self,
        request: Any,
        client_address: tuple[str, int],
        server: HTTPServer,
        *,
        api_key: str,
        app_object: Chalice,
        config: Config,
        authorizers: dict[str, UserPoolAuthorizer],
        verifier: TokenVerifier,
    ) -> None:
        # Set before the base class's __init__, which handles the request.
        self._api_key = api_key
        self._app = app_object
        self._authorizers = authorizers
        self._verifier = verifier
        super().__init__(request, client_address, server, app_object=app_object, config=config)

    def _generic_handle(self) -> None:
        needs = declared(self._app, self.path, self.command)
        if needs is None:
            self._refuse(NOT_DECLARED)
        elif needs.api_key and self.headers.get(API_KEY_HEADER) != self._api_key:
            self._refuse(FORBIDDEN)
        elif needs.authorizer is not None and not self._authorized(needs.authorizer):
            return
        else:
            super()._generic_handle()

    def _authorized(self, name: str) -> bool:
        """Check the ID token as the authorizer would; answer 401 when it refuses it."""
        authorizer = self._authorizers.get(name)
        if authorizer is None:  # the program gave the authorizer no pool: nothing passes
            self._refuse(UNAUTHORIZED_BODY, 401, "UnauthorizedException")
            return False
        try:
            self._verifier.claims(authorizer, self.headers.get("Authorization"))
        except TokenRefusedError as err:
            body = json.dumps(gateway_error("UNAUTHORIZED", str(err))).encode()
            self._refuse(body, 401, "UnauthorizedException")
            return False
        return True

    def _refuse(
        self, body: bytes, status: int = 403, error_type: str = "ForbiddenException"
    ) -> None:
        """Answer as API Gateway does, before the app sees the request."""
        # Read the body even though it is refused: on a kept-alive connection it would
        # otherwise be parsed as the next request.
        self.rfile.read(int(self.headers.get("content-length", "0") or 0))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


def with_thread_local_request(app: Chalice) -> Chalice:
    """``app`` with ``current_request`` kept per thread, which Chalice's threaded server
    needs, given once per app object.

    Chalice's own ``create_local_server`` does this by reassigning the bases of one
    module-level class on every call, so a second call in the same process (a second server
    for an app, as tests start) makes that class inherit from itself ("a __bases__ item
    causes an inheritance cycle"). Here each app's class gets a subclass of its own, made
    once, and nothing global changes.
    """
    if not isinstance(app, LocalChalice):
        app.__class__ = type(f"Local{type(app).__name__}", (LocalChalice, type(app)), {})
    return app


def make_server(
    app_name: str,
    host: str,
    port: int,
    api_key: str,
    authorizers: dict[str, UserPoolAuthorizer] | None = None,
    aws_endpoint: str = "",
) -> LocalDevServer:
    """Chalice's threaded local server for the app, its requests checked for the key and,
    where a route has a Cognito authorizer, the ID token (the pools' keys from
    ``aws_endpoint``)."""
    app = load_app(app_name).app
    config = Config(chalice_stage="local")
    # Chalice warns on every request that it lets Cognito authorizers pass: this gateway
    # checks the token before Chalice sees the request.
    warnings.filterwarnings("ignore", message="CognitoUserPoolAuthorizer is not a supported")
    server = LocalDevServer(with_thread_local_request(app), config, host, port)
    # The socket server takes our handler class for every request.
    server.server.RequestHandlerClass = partial(
        KeyCheckingHandler,
        api_key=api_key,
        app_object=app,
        config=config,
        authorizers=authorizers or {},
        verifier=TokenVerifier(aws_endpoint),
    )
    return server


def serve(app_name: str, listener: socket.socket) -> None:
    """Serve the app on ``listener`` (already listening: ``api_process.py``) until
    interrupted, with the key, authorizers and AWS endpoint its environment names."""
    logging.basicConfig(level=logging.INFO, format=f"[{app_name}] %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)  # not one line per client
    host, port = listener.getsockname()[:2]
    server = make_server(
        app_name,
        host,
        0,  # a port of its own, replaced by the listener at once
        os.environ["LOCAL_API_KEY"],
        authorizers_from_json(os.environ.get(AUTHORIZERS_VARIABLE, "{}")),
        os.environ.get("AWS_ENDPOINT_URL", ""),
    )
    server.server.socket.close()
    server.server.socket = listener
    server.server.server_address = (host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
