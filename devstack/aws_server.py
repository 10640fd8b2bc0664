"""The local AWS endpoint: moto's server app on loopback, in a thread of the stack's process,
with the local Lambda service, the local Athena (``services/athena``: queries run by DuckDB), the
local Bedrock (``services/bedrock``: Converse, answered by the profiles' model fakes), the media
services moto lacks (``media_services.py``: Polly's speech, Bedrock's async video,
MediaConvert), the services' CORS (``cors.py``) and newer botocore's REST forms of
JSON-target calls (``rest_protocol.py``) in front of it, and Step Functions executing state
machines.

moto runs executions with its port of LocalStack's interpreter, which calls each Task's
service (Lambda here) through boto3 at ``localhost:$MOTO_PORT``: so that variable is set to
this server's port, and those calls come back through the Lambda service to the functions.
"""

from __future__ import annotations

import io
import json
import os
import threading
import uuid
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

import requests
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from devstack.cors import CorsFront
from devstack.media_services import with_media_services
from devstack.rest_protocol import RestToTargetFront, installed_rest_models
from devstack.services.athena.service import LocalAthena
from devstack.services.awslambda.service import FunctionHosts, LambdaInvokeFront
from devstack.services.bedrock.converse import LocalBedrock, ModelFake

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_START_EXECUTION = "AWSStepFunctions.StartExecution"


class HostDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves each host. moto's looks it up
    again on every request, listing its package's folders on disk under a lock every
    request takes (a fifth of the start's time); the answer for a host never changes."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backends: dict[str | None, Any] = {}
        self._held: dict[str, threading.Event] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:  # called under the dispatcher's lock
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]

    def hold(self, services: Collection[str]) -> Callable[[], None]:
        """Keep the calls to these services (moto's names) waiting until the returned
        function is called: their state is being put back (``snapshot.py``)."""
        released = threading.Event()
        for service in services:
            self._held[service] = released
        return released.set

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        app = self.get_application(environ)
        for service, released in list(self._held.items()):
            if not released.is_set() and self.app_instances.get(service) is app:
                released.wait()
        return app(environ, start_response)


class NamedExecutions:
    """WSGI middleware giving a StartExecution without ``name`` a UUID, as Step Functions
    does. moto's executor names such an execution ``None``, so a second one would clash."""

    def __init__(self, aws: WSGIApplication) -> None:
        self.aws = aws

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET") == _START_EXECUTION:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            try:
                request = json.loads(body or b"{}")
            except ValueError:  # moto answers a malformed request itself
                request = None
            if isinstance(request, dict) and not request.get("name"):
                body = json.dumps({**request, "name": str(uuid.uuid4())}).encode()
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.aws(environ, start_response)


def _region() -> str:
    return os.environ["AWS_DEFAULT_REGION"]


class LocalAwsServer:
    """What ``make dev`` serves at ``aws_endpoint``; started and stopped by the stack."""

    def __init__(
        self,
        host: str,
        port: int,
        functions: FunctionHosts,
        bedrock: Any | None = None,
        models: Sequence[ModelFake] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.functions = functions
        # A real bedrock-runtime client to forward Converse to, or None: the local Bedrock,
        # which asks ``models`` (the profiles' model fakes, in order) instead.
        self.bedrock = bedrock
        self.models = tuple(models)
        self._athena: LocalAthena | None = None
        self._moto = HostDispatcher()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Listening, with state machine execution switched on, when this returns."""
        os.environ["MOTO_PORT"] = str(self.port)
        moto = self._moto
        # The stack sets the region once the server runs; the fronts read it then.
        self._athena = LocalAthena(moto, self.url, _region)
        front = with_media_services(LambdaInvokeFront(self._athena, self.functions), self.url)
        app = CorsFront(
            RestToTargetFront(
                NamedExecutions(LocalBedrock(front, self.models, self.bedrock)),
                installed_rest_models(),
            ),
            _region,
        )
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        # Polled for shutdown every 0.1 s (not 0.5), so Ctrl-C is not kept waiting.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        # moto's documented switch for server mode (the default only records executions).
        requests.post(
            f"{self.url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()

    def hold(self, services: Collection[str]) -> Callable[[], None]:
        """Calls to these services wait until the returned function is called."""
        return self._moto.hold(services)

    def stop(self) -> None:
        """Stopped, and moto's state gone with it, as when a moto server process ends: its
        backends are process-wide, so a second server in the same process (tests start one
        per module) would otherwise find the first one's resources."""
        if self._server is not None:
            requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._athena is not None:
            self._athena.close()
