"""What API Gateway answers itself (a missing or wrong key, an unknown path or method, its
throttling, an integration failure), in the one error shape every route answers in: the
template the program's gateway responses declare, and the body it renders, which the local
gateway answers with. Apart from ``rest_api.py`` so the local gateway reads it without
loading Pulumi."""

from __future__ import annotations

from typing import Any

# Instead of API Gateway's bare {"message": ...}.
# $context.error.messageString is already a quoted JSON string.
GATEWAY_ERROR_TEMPLATE = (
    '{"status": "error", "error_code": "$context.error.responseType", '
    '"message": $context.error.messageString, "request_id": null}'
)


def gateway_error(response_type: str, message: str) -> dict[str, Any]:
    """The body API Gateway renders from ``GATEWAY_ERROR_TEMPLATE`` for one of its own
    answers (the local gateway answers with exactly this)."""
    return {"status": "error", "error_code": response_type, "message": message, "request_id": None}
