"""Calls a newer botocore sends on REST paths, handed to moto (and the local Athena) as the
JSON-target calls they serve.

botocore 1.44.18 moved Athena from JSON 1.1 (``POST /`` with ``X-Amz-Target:
AmazonAthena.CreateWorkGroup``) to REST-JSON (``POST /workgroups``, ``GET
/query-executions/{id}``). Same operations, same JSON members: only where each member
travels changed (the path, the query string, the body). moto 5.2.6 routes only the old form,
so with that botocore the program's workgroup cannot even be created. This front reads the
REST request with the installed botocore's own model (the operation whose method and
``requestUri`` template match; each member from its declared location, typed as the model
says) and forwards it as the JSON-target request, which moto and ``services/athena`` answer. The
answer needs no change: both protocols put an operation's output in a JSON body, and
botocore's REST-JSON parser reads a JSON 1.1 error's ``__type``.

Only services in :data:`JSON_TARGETS` whose installed model speaks ``rest-json`` are
translated; with an older botocore nothing is (requests already carry their target). The
translation is written here because moto has no such layer and botocore only serialises.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# The services moto serves only by JSON target, with their old target prefix.
JSON_TARGETS = {"athena": "AmazonAthena"}
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/(?P<service>[^/]+)/aws4_request")
_LABEL = re.compile(r"\{(?P<name>[A-Za-z0-9_]+)(?P<greedy>\+?)\}")


@dataclass(frozen=True)
class Route:
    """One operation's REST form: its method, its path pattern and the labels it binds."""

    operation: OperationModel
    method: str
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, operation: OperationModel) -> Route:
        path = operation.http["requestUri"].split("?", 1)[0]
        regex = ""
        position = 0
        for label in _LABEL.finditer(path):
            regex += re.escape(path[position : label.start()])
            regex += f"(?P<{label['name']}>{'.+' if label['greedy'] else '[^/]+'})"
            position = label.end()
        regex += re.escape(path[position:])
        return cls(operation, operation.http["method"], re.compile(f"^{regex}/?$"))


def _typed(shape: Any, values: list[str]) -> Any:
    """A query-string or path value as the model types it."""
    if shape.type_name == "list":
        return [_typed(shape.member, [value]) for value in values]
    value = values[-1]
    if shape.type_name in {"integer", "long"}:
        return int(value)
    if shape.type_name == "boolean":
        return value.lower() == "true"
    return value


class RestRequestReader:
    """Finds a REST request's operation in a service model and reads its members."""

    def __init__(self, model: ServiceModel) -> None:
        self.routes = [Route.of(model.operation_model(name)) for name in model.operation_names]

    def read(
        self, method: str, path: str, query: str, body: bytes
    ) -> tuple[str, dict[str, Any]] | None:
        """``(operation name, its input members)``, or None when no operation matches."""
        for route in self.routes:
            match = route.pattern.match(path) if route.method == method else None
            if match is None:
                continue
            members: dict[str, Any] = json.loads(body) if body.strip() else {}
            shape = route.operation.input_shape
            if shape is None:
                return route.operation.name, members
            given = parse_qs(query, keep_blank_values=True)
            for name, member in shape.members.items():
                location = member.serialization.get("location")
                wire_name = member.serialization.get("name", name)
                if location == "uri" and wire_name in match.groupdict():
                    members[name] = _typed(member, [unquote(match[wire_name])])
                elif location == "querystring" and wire_name in given:
                    members[name] = _typed(member, given[wire_name])
            return route.operation.name, members
        return None


def installed_rest_models() -> dict[str, tuple[ServiceModel, str]]:
    """The services of :data:`JSON_TARGETS` whose installed botocore model is REST-JSON."""
    session = botocore.session.get_session()
    models = {}
    for service, prefix in JSON_TARGETS.items():
        model = session.get_service_model(service)
        if model.metadata.get("protocol") == "rest-json":
            models[service] = (model, prefix)
    return models


class RestToTargetFront:
    """WSGI middleware (see the module's docstring)."""

    def __init__(
        self, aws: WSGIApplication, models: Mapping[str, tuple[ServiceModel, str]]
    ) -> None:
        self.aws = aws
        self.readers = {
            service: (RestRequestReader(model), prefix)
            for service, (model, prefix) in models.items()
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is None or "HTTP_X_AMZ_TARGET" in environ:
            return self.aws(environ, start_response)
        found = self.readers.get(scope["service"])
        if found is None:
            return self.aws(environ, start_response)
        reader, prefix = found
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        request = reader.read(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", "/"),
            environ.get("QUERY_STRING", ""),
            body,
        )
        if request is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.aws(environ, start_response)
        operation, members = request
        translated = json.dumps(members).encode()
        environ.update(
            {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/",
                "QUERY_STRING": "",
                "HTTP_X_AMZ_TARGET": f"{prefix}.{operation}",
                "CONTENT_TYPE": "application/x-amz-json-1.1",
                "CONTENT_LENGTH": str(len(translated)),
                "wsgi.input": io.BytesIO(translated),
            }
        )
        return self.aws(environ, start_response)
