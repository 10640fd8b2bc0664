"""The first message, written by OpenAI through the Responses API.

One OpenAI Conversation per conversation of ours, created once: its id goes on the record
before the first response is asked for, and a retry reuses it. Instructions and the output
schema come from ``prompts/<channel>.json`` (versioned with the repo), the model and its
settings from the company config. The SDK retries 429, 5xx and timeouts with backoff
(honouring Retry-After); what still fails is transient, except a 400, which is permanent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import openai
from openai import OpenAI

from chalicelib.comms.processor.exceptions import PermanentFailureError
from chalicelib.comms.processor.models import ContextObject
from shared.errors import TransientError

DEFAULT_MODEL = "gpt-4.1-mini"


@dataclass(frozen=True)
class Prompt:
    version: str
    instructions: str
    schema: dict[str, Any]


@cache
def load_prompt(channel: str) -> Prompt:
    raw = json.loads(
        resources.files("chalicelib.comms.prompts").joinpath(f"{channel}.json").read_text()
    )
    return Prompt(raw["version"], raw["instructions"], raw["schema"])


@dataclass(frozen=True)
class Drafted:
    ai_conversation_id: str
    response_id: str
    output: dict[str, Any]
    prompt_version: str
    model: str


def _user_input(context: ContextObject) -> str:
    """What the model is told about this conversation: recipient, company, project data."""
    payload = context.frontend_payload
    company = context.company_data_payload
    return json.dumps(
        {
            "recipient_first_name": payload.recipient_data.recipient_first_name,
            "company_name": company.company_name,
            "project_name": company.project_name,
            "company_rep": company.model_extra.get("company_rep") if company.model_extra else None,
            "project_data": payload.project_data,
        },
        default=str,
    )


def open_conversation(client: OpenAI, context: ContextObject, channel: str) -> str:
    """Create the OpenAI Conversation of one conversation of ours; returns its id, which the
    caller keeps on the record, so that a retry reuses it instead of leaving an orphan.

    Raises:
        PermanentFailureError: OpenAI refused the request (400).
        TransientError: still failing after the SDK's retries.
    """
    try:
        conversation = client.conversations.create(
            metadata={
                "conversation_id": context.conversation_data.conversation_id,
                "channel": channel,
            }
        )
    except openai.BadRequestError as err:
        raise PermanentFailureError(f"OpenAI refused the request: {err.message}", 400) from err
    except openai.APIError as err:
        raise TransientError(f"OpenAI failed to open a conversation: {err}") from err
    return conversation.id


def draft_first_message(
    client: OpenAI, context: ContextObject, channel: str, ai_conversation_id: str
) -> Drafted:
    """Ask for the channel's structured first message in the conversation's OpenAI
    Conversation (``open_conversation``).

    Raises:
        PermanentFailureError: OpenAI refused the request (400) or answered off-schema.
        TransientError: still failing after the SDK's retries (429, 5xx, timeouts, auth).
    """
    prompt = load_prompt(channel)
    settings = context.ai_settings(channel)
    model = str(settings.get("model", DEFAULT_MODEL))
    extra = {k: settings[k] for k in ("temperature", "top_p") if k in settings}
    try:
        response = client.responses.create(
            model=model,
            conversation=ai_conversation_id,
            instructions=prompt.instructions,
            input=_user_input(context),
            text={
                "format": {
                    "type": "json_schema",
                    "name": f"{channel}_first_message",
                    "schema": prompt.schema,
                    "strict": True,
                }
            },
            **extra,
        )
    except openai.BadRequestError as err:
        raise PermanentFailureError(f"OpenAI refused the request: {err.message}", 400) from err
    except openai.APIError as err:
        raise TransientError(f"OpenAI failed: {err}") from err
    try:
        output = json.loads(response.output_text)
    except ValueError as err:
        raise PermanentFailureError("OpenAI's answer is not the requested JSON") from err
    missing = [k for k in prompt.schema.get("required", []) if not output.get(k)]
    if missing:
        raise PermanentFailureError(f"OpenAI's answer lacks {missing}")
    return Drafted(ai_conversation_id, response.id, output, prompt.version, model)
