"""OpenAI's Conversations and Responses APIs, enough for structured first messages.

``POST /v1/conversations`` creates a conversation; ``POST /v1/responses`` with a
``conversation`` and ``text.format`` of type ``json_schema`` answers with JSON that satisfies
the schema (values derived from the property names), and adds the input and output to the
conversation's items, as the real service does. Errors use OpenAI's ``{"error": {...}}`` body.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any

from flask import Response, jsonify, request

from devstack.fakes.base import FakeServer, Fault


def openai_error(status: int, message: str, code: str | None = None) -> Fault:
    """A fault as OpenAI answers it (429 rate limit, 500, 400 invalid request...)."""
    kind = {
        400: "invalid_request_error",
        401: "invalid_request_error",
        429: "rate_limit_error",
    }.get(status, "server_error")
    return Fault(
        path_contains="/v1/responses",
        status=status,
        # OpenAI sends this with 429s; the SDK waits as long before retrying.
        headers={"retry-after-ms": "10"},
        body={"error": {"message": message, "type": kind, "param": None, "code": code}},
    )


def value_for(schema: dict[str, Any], name: str = "value") -> Any:
    """A value that satisfies a (strict, simple) JSON schema, derived from the field name."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        return {key: value_for(sub, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [value_for(schema.get("items", {}), name)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    return f"fake {name.replace('_', ' ')}"


class FakeOpenAI(FakeServer):
    def __init__(self, api_keys: set[str] | None = None) -> None:
        super().__init__("fake-openai")
        self.api_keys = set(api_keys or ())
        self.conversations: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.app.add_url_rule(
            "/v1/conversations", view_func=self._create_conversation, methods=["POST"]
        )
        self.app.add_url_rule("/v1/responses", view_func=self._create_response, methods=["POST"])

    def _error(self, status: int, message: str, code: str | None = None) -> Response:
        response = jsonify(
            {
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": None,
                    "code": code,
                }
            }
        )
        response.status_code = status
        return response

    def _unauthorised(self) -> Response | None:
        header = request.headers.get("Authorization", "")
        if header.removeprefix("Bearer ") not in self.api_keys:
            return self._error(401, "Incorrect API key provided.", "invalid_api_key")
        return None

    def _create_conversation(self) -> Response:
        refused = self._unauthorised()
        if refused is not None:
            return refused
        body = request.get_json(silent=True) or {}
        conversation_id = "conv_" + secrets.token_hex(24)
        conversation: dict[str, Any] = {
            "id": conversation_id,
            "object": "conversation",
            "created_at": int(time.time()),
            "metadata": body.get("metadata") or {},
        }
        with self._lock:
            self.conversations[conversation_id] = {
                **conversation,
                "items": list(body.get("items") or []),
            }
        return jsonify(conversation)

    def _create_response(self) -> Response:
        refused = self._unauthorised()
        if refused is not None:
            return refused
        body = request.get_json(silent=True) or {}
        conversation = body.get("conversation")
        conversation_id = str(
            conversation.get("id") if isinstance(conversation, dict) else conversation or ""
        )
        if conversation_id and conversation_id not in self.conversations:
            return self._error(
                404, f"Conversation with id '{conversation_id}' not found.", "not_found"
            )
        text_format = (body.get("text") or {}).get("format") or {"type": "text"}
        if text_format.get("type") == "json_schema":
            text = json.dumps(value_for(text_format["schema"]))
        else:
            text = "Hello from the fake model."
        message = {
            "type": "message",
            "id": "msg_" + secrets.token_hex(24),
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
        if conversation_id:
            inputs = body.get("input")
            items = (
                inputs
                if isinstance(inputs, list)
                else [{"type": "message", "role": "user", "content": inputs}]
            )
            with self._lock:
                self.conversations[conversation_id]["items"].extend([*items, message])
        return jsonify(
            {
                "id": "resp_" + secrets.token_hex(24),
                "object": "response",
                "created_at": int(time.time()),
                "status": "completed",
                "model": body.get("model"),
                "instructions": body.get("instructions"),
                "output": [message],
                "conversation": {"id": conversation_id} if conversation_id else None,
                "text": {"format": text_format},
                "parallel_tool_calls": True,
                "tool_choice": "auto",
                "tools": [],
                "error": None,
                "incomplete_details": None,
                "usage": {
                    "input_tokens": 10,
                    "output_tokens": 10,
                    "total_tokens": 20,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens_details": {"reasoning_tokens": 0},
                },
            }
        )
