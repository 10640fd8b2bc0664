"""The context object: everything a channel processor needs, in one SQS message."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

ROUTER_VERSION = "2.0.0"

# Fixed namespace: the conversation id of a request is the same every time it is sent, so a
# client retrying a request it thinks failed cannot start a second conversation (the channel
# processor creates the record with a conditional write on this id).
_CONVERSATION_NAMESPACE = uuid.UUID("5b3f6f53-8d0c-4a4e-9f7e-2c5d1b0f3a11")


def conversation_id_for(company_id: str, project_id: str, request_id: str) -> str:
    """The stable conversation id of one request (UUID v5 of its identifying fields)."""
    return str(uuid.uuid5(_CONVERSATION_NAMESPACE, f"{company_id}/{project_id}/{request_id}"))


def build_context(
    frontend_payload: dict[str, Any],
    company_config: dict[str, Any],
    conversation_id: str,
    now: datetime,
) -> dict[str, Any]:
    """Assemble the message body the contract names.

    ``company_config`` is the stored item: it holds secret *references* (Secrets Manager
    names), never secret values, so it can travel on the queue.
    """
    timestamp = now.isoformat().replace("+00:00", "Z")
    return {
        "frontend_payload": frontend_payload,
        "company_data_payload": company_config,
        "conversation_data": {
            "conversation_id": conversation_id,
            "conversation_start_timestamp": timestamp,
        },
        "metadata": {
            "router_version": ROUTER_VERSION,
            "context_creation_timestamp": timestamp,
        },
    }
