"""The contract's JSON error body, for every refusal the router makes."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.comms.router.exceptions import InvalidRequestError, RouterError
from shared.http import json_response


def error_response(err: RouterError) -> Response:
    """``{"status": "error", "error_code", "message", "request_id"}``, plus ``errors`` (each
    bad field and why) on a validation failure."""
    body: dict[str, Any] = {
        "status": "error",
        "error_code": err.error_code,
        "message": err.message,
        "request_id": err.request_id,
    }
    if isinstance(err, InvalidRequestError):
        body["errors"] = [{"field": p.field, "reason": p.reason} for p in err.problems]
    return json_response(err.status, body)
