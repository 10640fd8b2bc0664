"""Turn a raw request into a validated request, or into the list of what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from chalicelib.comms.exceptions import InvalidRequestError
from chalicelib.comms.request_body import InitiateConversationRequest
from shared.errors import FieldProblem
from shared.json_body import parse_json_object
from shared.query import checked_parameters
from shared.storable import storage_problems

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
    raw_body: bytes | str | None, query: Mapping[str, str] | None = None
) -> tuple[InitiateConversationRequest, dict[str, Any]]:
    """Validate the request; return the model and the body exactly as received (it is
    passed on, then stored by the channel processor).

    Raises:
        InvalidQueryError: any query parameter (the route takes none).
        MalformedJsonError, NestingTooDeepError: the body is not a JSON object, or is nested
            deeper than ``shared.json_body.MAX_NESTING``.
        InvalidRequestError: every field that is missing or invalid, or that DynamoDB could
            not store (``shared.storable``), each with its reason, including the address
            field the chosen channel needs.
    """
    checked_parameters(query or {})
    body = parse_json_object(raw_body)
    request_id = _request_id_of(body)
    problems = storage_problems(body)
    try:
        request = InitiateConversationRequest.model_validate(body)
    except ValidationError as err:
        raise InvalidRequestError(_problems(err) + problems, request_id) from err
    if problems:
        raise InvalidRequestError(problems, request_id)

    channel = request.request_data.channel_method
    address_field = CHANNEL_ADDRESS_FIELD[channel]
    if getattr(request.recipient_data, address_field) is None:
        raise InvalidRequestError(
            [FieldProblem(f"recipient_data.{address_field}", f"required for channel '{channel}'")],
            request_id,
        )
    return request, body
