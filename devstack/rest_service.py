"""The shared frame of the local services moto lacks (Polly's speech, Bedrock's async
invocations, MediaConvert): WSGI middleware that answers some operations of one REST-JSON
service on the local AWS endpoint and hands every other request on, so boto3's real clients
work against it unchanged and the app code is the same in AWS and locally.

A request is recognised as AWS routes it: the service in the signature's credential scope,
then the operation whose method and ``requestUri`` match in the installed botocore model
(:class:`devstack.rest_protocol.RestRequestReader` reads its members). Errors go out as
REST-JSON services send them (``x-amzn-ErrorType`` and ``{"message"}``), which boto3 turns
into a ``ClientError`` with that code.

The jobs these services run read and write S3 (and publish to SNS or EventBridge) through
the same endpoint with the caller's access key, so they land in the caller's moto account.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from moto.iam.models import get_account_id_from

from devstack.rest_protocol import RestRequestReader

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_SCOPE = re.compile(
    r"Credential=(?P<key>[^/]+)/[^/]+/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request"
)


class ServiceError(Exception):
    """An error answered in the service's wire format: HTTP ``status``, error ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def validation_error(message: str) -> ServiceError:
    return ServiceError(400, "ValidationException", message)


@dataclass(frozen=True)
class Caller:
    """Who signed the request: their key (the jobs act with it), account and region."""

    access_key: str
    account: str
    region: str


@dataclass
class Answer:
    """A response: a JSON document, or raw bytes (an audio stream), with extra headers."""

    body: dict[str, Any] | bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


Handler = Callable[[dict[str, Any], Caller], Answer]


class LocalClients:
    """boto3 clients for the local AWS endpoint, one per (service, access key), made on
    first use: the jobs run in threads and boto3's clients are thread-safe."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def get(self, service: str, caller: Caller) -> Any:
        with self._lock:
            key = (service, caller.access_key)
            if key not in self._clients:
                session: Any = boto3.session.Session()
                self._clients[key] = session.client(
                    service,
                    endpoint_url=self.endpoint,
                    region_name=caller.region,
                    aws_access_key_id=caller.access_key,
                    aws_secret_access_key="local",
                )
            return self._clients[key]


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``(bucket, key)`` of ``s3://bucket/key``; :class:`ServiceError` for anything else."""
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise validation_error(f"{uri!r} is not an S3 URI (s3://bucket/key)")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


class RestServiceFront:
    """WSGI middleware answering ``handlers`` (operation name → handler) of the botocore
    service ``model_name`` signed for ``signing_name``; anything else goes on to ``aws``."""

    def __init__(
        self,
        aws: WSGIApplication,
        model_name: str,
        signing_name: str,
        handlers: Mapping[str, Handler],
    ) -> None:
        self.aws = aws
        self.signing_name = signing_name
        self.handlers = handlers
        self.reader = RestRequestReader(
            botocore.session.get_session().get_service_model(model_name)
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is None or scope["service"] != self.signing_name:
            return self.aws(environ, start_response)
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        path = raw_path.split("?", 1)[0] or environ.get("PATH_INFO", "/")
        found = self.reader.read(
            environ["REQUEST_METHOD"], path, environ.get("QUERY_STRING", ""), b""
        )
        if found is None or found[0] not in self.handlers:
            return self.aws(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        caller = Caller(scope["key"], get_account_id_from(scope["key"]), scope["region"])
        try:
            members = {**(json.loads(body) if body.strip() else {}), **found[1]}
            answer = self.handlers[found[0]](members, caller)
        except ValueError as err:
            answer = _error(ServiceError(400, "SerializationException", str(err)))
        except ServiceError as err:
            answer = _error(err)
        payload = (
            answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        )
        headers = {"Content-Type": "application/json", **answer.headers}
        headers |= {"Content-Length": str(len(payload)), "x-amzn-RequestId": str(uuid.uuid4())}
        start_response(f"{answer.status} {_phrase(answer.status)}", list(headers.items()))
        return [payload]


def _error(err: ServiceError) -> Answer:
    return Answer({"message": str(err)}, {"x-amzn-ErrorType": err.code}, err.status)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
