"""CORS on the local AWS endpoint, answered as the real services answer it, whatever moto does.

A page served by an app calls AWS from the browser: Cognito's ``InitiateAuth``
(``POST /`` with ``X-Amz-Target``) and S3 (a presigned POST, presigned part PUTs). The browser
asks first (``OPTIONS``, a preflight) and then reads only what the answer allows. moto's
answers to those are an accident of its version (5.2.5 allowed everything through
flask-cors, 5.2.6 answers a preflight 500), so this front answers every preflight itself,
never passes one to moto, drops whatever CORS headers moto adds, and adds the real ones:

- S3 (a path whose first segment is a bucket): the bucket's CORS configuration decides, as
  in S3: the first rule whose ``AllowedOrigins``, ``AllowedMethods`` and ``AllowedHeaders``
  admit the request; a preflight no rule admits is 403 ``AccessForbidden``; a bucket with
  no configuration refuses every preflight. The configuration is read from moto on each
  request (GetBucketCors through the same WSGI app), so a change applies at once.
- Every other service (Cognito's JSON API): any origin, as Cognito answers: the preflight
  echoes the requested method and headers, responses carry ``Access-Control-Allow-Origin:
  *`` and expose the request id and error headers.

The CORS model is written here by hand because no maintained library evaluates S3's
per-bucket rules (flask-cors and friends apply one policy to a whole app).
"""

from __future__ import annotations

import fnmatch
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.test import EnvironBuilder, run_wsgi_app

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
# An unsigned S3 request moto routes to S3 (it reads the service from the credential scope
# and never checks the signature).
_S3_AUTH = (
    "AWS4-HMAC-SHA256 Credential=local/20260101/{region}/s3/aws4_request, "
    "SignedHeaders=host, Signature=local"
)
# What Cognito exposes to a page (its responses' headers a script may read).
_API_EXPOSED = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
_FORBIDDEN = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution "
    "of Origin, request method / Access-Control-Request-Method or Access-Control-Request-"
    "Headers are not whitelisted by the resource's CORS spec."
)
_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
_NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."


@dataclass(frozen=True)
class CorsRule:
    """One rule of a bucket's CORS configuration."""

    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ()
    exposed: tuple[str, ...] = ()
    max_age: int | None = None

    def admits(self, origin: str, method: str, headers: Iterable[str] = ()) -> bool:
        """S3's match: the origin and every requested header against the rule's patterns
        (one ``*`` wildcard each, headers case-insensitive), the method exactly."""
        return (
            any(fnmatch.fnmatchcase(origin, pattern) for pattern in self.origins)
            and method in self.methods
            and all(
                any(fnmatch.fnmatchcase(h.lower(), p.lower()) for p in self.headers)
                for h in headers
            )
        )

    def allow_origin(self, origin: str) -> str:
        return "*" if "*" in self.origins else origin


def parse_cors_configuration(xml: bytes) -> list[CorsRule]:
    """The rules of a ``GetBucketCors`` answer, in order."""
    root = ET.fromstring(xml)

    def texts(rule: ET.Element, tag: str) -> tuple[str, ...]:
        found = rule.findall(f"{_S3_NS}{tag}") or rule.findall(tag)
        return tuple((element.text or "").strip() for element in found)

    rules = root.findall(f"{_S3_NS}CORSRule") or root.findall("CORSRule")
    return [
        CorsRule(
            origins=texts(rule, "AllowedOrigin"),
            methods=texts(rule, "AllowedMethod"),
            headers=texts(rule, "AllowedHeader"),
            exposed=texts(rule, "ExposeHeader"),
            max_age=int(age[0]) if (age := texts(rule, "MaxAgeSeconds")) else None,
        )
        for rule in rules
    ]


def _requested_headers(environ: WSGIEnvironment) -> list[str]:
    raw = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
    return [header.strip() for header in raw.split(",") if header.strip()]


def _s3_error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    ).encode()


class CorsFront:
    """WSGI middleware in front of the local AWS endpoint (see the module's docstring)."""

    def __init__(self, aws: WSGIApplication, region: Callable[[], str]) -> None:
        self.aws = aws
        # A callable giving the region (the stack sets it once the server runs).
        self.region = region

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        origin = environ.get("HTTP_ORIGIN")
        preflight = (
            environ["REQUEST_METHOD"] == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        )
        if origin is None and not preflight:
            return self.aws(environ, start_response)
        rules = self._bucket_rules(environ)
        if preflight:
            return self._preflight(environ, start_response, origin or "", rules)
        return self._actual(environ, start_response, origin or "", rules)

    def _bucket_rules(self, environ: WSGIEnvironment) -> list[CorsRule] | None:
        """The CORS rules of the bucket a path-style S3 request names ([] when it has
        none), or None when the request is for another service."""
        segment = environ.get("PATH_INFO", "/").lstrip("/").split("/", 1)[0]
        if not segment or segment.startswith(("_", "moto-api")):
            return None
        return self._rules(segment)

    def _rules(self, bucket: str) -> list[CorsRule] | None:
        """The bucket's CORS rules ([] when it has none), or None when no such bucket."""
        builder = EnvironBuilder(
            path=f"/{bucket}",
            query_string="cors",
            headers=[("Authorization", _S3_AUTH.format(region=self.region()))],
        )
        body, status, _ = run_wsgi_app(self.aws, builder.get_environ(), buffered=True)
        data = b"".join(body)
        if status.startswith("200"):
            return parse_cors_configuration(data)
        return [] if b"NoSuchCORSConfiguration" in data else None

    def _preflight(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        origin: str,
        rules: list[CorsRule] | None,
    ) -> Any:
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "")
        requested = _requested_headers(environ)
        if rules is None:
            headers = [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", method or "POST"),
                ("Access-Control-Allow-Headers", ", ".join(requested)),
                ("Access-Control-Max-Age", "86400"),
                ("Content-Length", "0"),
            ]
            start_response("200 OK", headers)
            return [b""]
        rule = next((r for r in rules if r.admits(origin, method, requested)), None)
        if rule is None:
            body = _s3_error("AccessForbidden", _FORBIDDEN if rules else _NOT_ENABLED)
            start_response(
                "403 Forbidden",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
            )
            return [body]
        headers = [
            ("Access-Control-Allow-Origin", rule.allow_origin(origin)),
            ("Access-Control-Allow-Methods", ", ".join(rule.methods)),
            ("Vary", _VARY),
            ("Content-Length", "0"),
        ]
        if requested:
            headers.append(("Access-Control-Allow-Headers", ", ".join(requested)))
        headers += self._shared_headers(rule, origin)
        start_response("200 OK", headers)
        return [b""]

    @staticmethod
    def _shared_headers(rule: CorsRule, origin: str) -> list[tuple[str, str]]:
        headers = []
        if rule.exposed:
            headers.append(("Access-Control-Expose-Headers", ", ".join(rule.exposed)))
        if rule.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(rule.max_age)))
        if rule.allow_origin(origin) != "*":
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers

    def _actual(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        origin: str,
        rules: list[CorsRule] | None,
    ) -> Any:
        if rules is None:
            cors = [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", _API_EXPOSED),
            ]
        else:
            method = environ["REQUEST_METHOD"]
            rule = next((r for r in rules if r.admits(origin, method)), None)
            cors = []
            if rule is not None:
                cors = [
                    ("Access-Control-Allow-Origin", rule.allow_origin(origin)),
                    ("Access-Control-Allow-Methods", ", ".join(rule.methods)),
                    ("Vary", _VARY),
                    *self._shared_headers(rule, origin),
                ]

        def with_cors(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept + cors, *args)

        return self.aws(environ, with_cors)
