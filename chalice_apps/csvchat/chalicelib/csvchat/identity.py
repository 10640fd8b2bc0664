"""Who is asking: the ``sub`` of the Cognito ID token API Gateway's authorizer checked.

API Gateway verifies the token (signature, issuer, expiry) and hands its claims to the
function in ``requestContext.authorizer.claims``; it accepts an ID token of any app client
of the pool, so the audience is checked here too: only this app's client signs in to it.
Every item is keyed by the ``sub`` returned.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.csvchat.exceptions import UnauthorizedError


def claims(request: Request) -> dict[str, Any]:
    context = request.context or {}
    found = (context.get("authorizer") or {}).get("claims") or {}
    return dict(found) if isinstance(found, dict) else {}


def owner(request: Request, client_id: str) -> str:
    """The caller's ``sub``.

    Raises:
        UnauthorizedError: no claims, not an ID token, or one of another app client.
    """
    found = claims(request)
    sub = found.get("sub")
    if not sub or found.get("token_use") != "id" or found.get("aud") != client_id:
        raise UnauthorizedError()
    return str(sub)
