"""The "try it" form's request: sent by the console's server (not the page's own ``fetch``,
which the apps' CORS rules would refuse and whose response headers it could not all read)
to a route the program declares, with the API key the route needs, as a user with that key
would send it.

Errors: ``NotFoundError`` for a method and path no declared route matches,
``BadRequestError`` for a request the form should not have built; ``requests``' errors pass
through (the server maps them).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import requests
from pydantic import BaseModel, ConfigDict, ValidationError

from devstack.console.catalog import API_KEY_HEADER, Api, Route
from devstack.console.operations import BadRequestError, NotFoundError

# What the page is given of a response body; the rest is cut (and said so).
MAX_SHOWN = 256 * 1024
# A cold start of the app's function, then its own work.
TIMEOUT = 90


class TryRequest(BaseModel):
    """What the form sends: the route's method, the path with its parameters filled in
    (each percent-encoded), a query string, a JSON body and an ID token for a route behind
    a Cognito authorizer."""

    model_config = ConfigDict(extra="forbid")

    method: str
    path: str
    query: str = ""
    body: Any = None
    token: str | None = None


def parse(document: Any) -> TryRequest:
    """The form's request, or ``BadRequestError`` saying what is wrong with it."""
    try:
        return TryRequest.model_validate(document)
    except ValidationError as err:
        raise BadRequestError(f"not a request the form sends: {err.errors()[0]['msg']}") from err


def _pattern(template: str) -> re.Pattern[str]:
    """A declared path as a pattern: ``{name}`` one segment, ``{name+}`` the rest."""
    parts = re.split(r"({[^}]+})", template)
    return re.compile(
        "".join(
            (".+" if p.endswith("+}") else "[^/]+") if p.startswith("{") else re.escape(p)
            for p in parts
        )
    )


def find_route(api: Api, method: str, path: str) -> Route:
    """The declared route ``method path`` calls (a literal segment wins over a parameter,
    as API Gateway matches).

    Raises:
        BadRequestError: a path that is not absolute, walks up (``..``) or holds a query
            (the form sends that apart).
        NotFoundError: no declared route has this method and path.
    """
    if not path.startswith("/") or "?" in path or "#" in path or {".", ".."} & set(path.split("/")):
        raise BadRequestError(f"{path!r} is not a path of the API")
    matching = [r for r in api.routes if r.method == method and _pattern(r.path).fullmatch(path)]
    if not matching:
        raise NotFoundError(f"the API declares no route {method} {path}")
    return min(matching, key=lambda r: len(r.params))


def send(http: requests.Session, api: Api, request: TryRequest) -> dict[str, Any]:
    """Send the request to the app's local API (redirects not followed: the page shows
    them) and return its status, headers and body as text."""
    route = find_route(api, request.method, request.path)
    headers = {}
    if route.api_key:
        headers[API_KEY_HEADER] = api.key
    if route.authorizer and request.token:
        headers["Authorization"] = request.token.strip()
    answer = http.request(
        route.method,
        api.url.rstrip("/") + request.path,
        params=parse_qsl(request.query.lstrip("?"), keep_blank_values=True),
        json=request.body if route.body and request.body is not None else None,
        headers=headers,
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    text = answer.content[:MAX_SHOWN].decode(errors="replace")
    return {
        "route": f"{route.method} {route.path}",
        "url": answer.url,
        "status": answer.status_code,
        "reason": answer.reason,
        "headers": dict(answer.headers),
        "body": text,
        "cut": len(answer.content) > MAX_SHOWN,
    }
