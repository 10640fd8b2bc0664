"""HTTP answers every Chalice app gives the same way."""

from __future__ import annotations

from typing import Any

from chalice.app import Response


def json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})
