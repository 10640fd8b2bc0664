"""Turn a raw request body into a validated request, or into the list of what is wrong."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from chalicelib.comms.router.exceptions import (
    FieldProblem,
    InvalidRequestError,
    MalformedJsonError,
)
from chalicelib.comms.router.models import InitiateConversationRequest

# The recipient field each channel delivers to.
CHANNEL_ADDRESS_FIELD = {
    "whatsapp": "recipient_tel",
    "sms": "recipient_tel",
    "email": "recipient_email",
}


def _request_id_of(body: Any) -> str | None:
    """The client's request_id, when it can be read at all, to echo it back in errors."""
    try:
        value = body["request_data"]["request_id"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


# pydantic's wording names our classes ("instance of CompanyRef"); say it in JSON terms.
_REASONS = {"model_type": "must be a JSON object", "dict_type": "must be a JSON object"}


def _problems(err: ValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(
            ".".join(str(part) for part in e["loc"]) or "body", _REASONS.get(e["type"], e["msg"])
        )
        for e in err.errors(include_url=False)
    ]


def parse_request(
    raw_body: bytes | str | None,
) -> tuple[InitiateConversationRequest, dict[str, Any]]:
    """Validate the body; return the model and the body exactly as received (it is passed on).

    Raises:
        MalformedJsonError: the body is empty, not JSON, or not a JSON object.
        InvalidRequestError: every field that is missing or invalid, each with its reason,
            including the address field the chosen channel needs.
    """
    try:
        body = json.loads(raw_body or b"")
    except (ValueError, UnicodeDecodeError) as err:
        raise MalformedJsonError(f"the body is not valid JSON: {err}") from err
    if not isinstance(body, dict):
        raise MalformedJsonError("the body must be a JSON object")

    request_id = _request_id_of(body)
    try:
        request = InitiateConversationRequest.model_validate(body)
    except ValidationError as err:
        raise InvalidRequestError(_problems(err), request_id) from err

    channel = request.request_data.channel_method
    address_field = CHANNEL_ADDRESS_FIELD[channel]
    if getattr(request.recipient_data, address_field) is None:
        raise InvalidRequestError(
            [FieldProblem(f"recipient_data.{address_field}", f"required for channel '{channel}'")],
            request_id,
        )
    return request, body
