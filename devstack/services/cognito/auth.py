"""What API Gateway's Cognito user pool authorizer checks, for the local gateway: the
``Authorization`` header holds an ID token signed by one of the authorizer's pools (its key
from the pool's JWKS, which the local AWS endpoint serves as Cognito does, at
``/<pool id>/.well-known/jwks.json``), issued by that pool, not expired, an ID token
(``token_use``), for an app client the program declares for the pool. ``chalice local``
decodes the token without checking any of it.

A refused token gets API Gateway's own answer: 401, ``The incoming token has expired`` for
an expired one, ``Unauthorized`` for anything else.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import jwt
import requests

EXPIRED = "The incoming token has expired"
UNAUTHORIZED = "Unauthorized"

# Where the local gateway finds each Cognito authorizer of its app: the stack sets it from
# the program's declaration (``declared.py``), the gateway reads it.
AUTHORIZERS_VARIABLE = "LOCAL_AUTHORIZERS"


class TokenRefusedError(Exception):
    """API Gateway answers 401 with this message."""


@dataclass(frozen=True)
class UserPoolAuthorizer:
    """One Cognito authorizer of an API: its pools (ARNs) and the app clients declared for
    them."""

    pools: tuple[str, ...]
    clients: frozenset[str]

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> UserPoolAuthorizer:
        return cls(tuple(value["pools"]), frozenset(value["clients"]))

    def as_json(self) -> dict[str, Any]:
        return {"pools": list(self.pools), "clients": sorted(self.clients)}


def issuer(pool_arn: str) -> str:
    """``https://cognito-idp.<region>.amazonaws.com/<pool id>`` of a pool's ARN."""
    region, pool_id = pool_arn.split(":")[3], pool_arn.rsplit("/", 1)[-1]
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def authorizers_from_json(text: str) -> dict[str, UserPoolAuthorizer]:
    return {name: UserPoolAuthorizer.from_json(v) for name, v in json.loads(text or "{}").items()}


class TokenVerifier:
    """Checks ID tokens against the pools' keys, fetched once per pool from ``endpoint``."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._keys: dict[str, jwt.PyJWKSet] = {}
        self._lock = threading.Lock()

    def _key_set(self, pool_id: str) -> jwt.PyJWKSet:
        with self._lock:
            if pool_id not in self._keys:
                url = f"{self.endpoint}/{pool_id}/.well-known/jwks.json"
                response = requests.get(url, timeout=10)
                response.raise_for_status()
                self._keys[pool_id] = jwt.PyJWKSet.from_dict(response.json())
            return self._keys[pool_id]

    def claims(self, authorizer: UserPoolAuthorizer, token: str | None) -> dict[str, Any]:
        """The token's claims once every check passes.

        Raises:
            TokenRefusedError: no token, or one API Gateway would refuse (its message).
        """
        if not token:
            raise TokenRefusedError(UNAUTHORIZED)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenRefusedError(UNAUTHORIZED) from None
        issuers = {issuer(arn): arn for arn in authorizer.pools}
        token_issuer = str(unverified.get("iss", ""))
        if token_issuer not in issuers:
            raise TokenRefusedError(UNAUTHORIZED)
        try:
            key = self._key_set(token_issuer.rsplit("/", 1)[-1])[str(header.get("kid"))]
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                issuer=token_issuer,
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefusedError(EXPIRED) from None
        except (jwt.PyJWTError, KeyError):
            raise TokenRefusedError(UNAUTHORIZED) from None
        if claims.get("token_use") != "id" or claims.get("aud") not in authorizer.clients:
            raise TokenRefusedError(UNAUTHORIZED)
        return claims
