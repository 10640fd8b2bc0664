"""The first message, written by OpenAI through the Responses API.

One OpenAI Conversation per conversation of ours, created once: its id goes on the record
before the first response is asked for, and a retry reuses it. Instructions and the output
schema come from ``prompts/<channel>.json`` (versioned with the repo), the model and its
settings from the company config.

Retried here, not by the SDK (whose waits honour a ``Retry-After`` of up to 60 s, more than
an invocation can spare): 429 (waiting what OpenAI asks, at most ``MAX_RETRY_AFTER_SECONDS``),
408, 409, 5xx, timeouts and connection failures, with backoff (``retry.provider_retrying``),
each call's timeout and attempts planned against the invocation's ``budget.Budget``. What
still fails is transient, except a 400, which is permanent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, TypeVar

import openai
from openai import OpenAI
from tenacity import RetryError

from chalicelib.comms.budget import Budget
from chalicelib.comms.context_object import ContextObject
from chalicelib.comms.exceptions import PermanentFailureError
from chalicelib.comms.retry import (
    RetryLaterError,
    longest_wait,
    provider_retrying,
    retry_after_seconds,
)
from shared.errors import TransientError

DEFAULT_MODEL = "gpt-4.1-mini"
# The SDK's default timeout; a structured first message takes a few seconds.
TIMEOUT_SECONDS: Final = 30.0
ATTEMPTS: Final = 4
# The longest wait OpenAI may ask for that is waited out inside the invocation.
MAX_RETRY_AFTER_SECONDS: Final = 10.0
# Statuses the SDK itself deems worth another attempt, besides 429 and 5xx.
_RETRIED_STATUSES = {408, 409}

T = TypeVar("T")


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


def is_transient(err: BaseException) -> bool:
    """Worth asking again: a rate limit (``RetryLaterError``), a timeout or lost connection,
    a 5xx, or a status the SDK retries too."""
    if isinstance(err, RetryLaterError | openai.APIConnectionError | openai.InternalServerError):
        return True
    return isinstance(err, openai.APIStatusError) and err.status_code in _RETRIED_STATUSES


def _asked_delay(err: openai.RateLimitError) -> float | None:
    """The wait a 429 asks for: ``retry-after-ms`` (OpenAI's), else ``Retry-After``."""
    headers = err.response.headers
    millis = headers.get("retry-after-ms")
    try:
        return float(millis) / 1000 if millis else retry_after_seconds(headers.get("retry-after"))
    except ValueError:
        return retry_after_seconds(headers.get("retry-after"))


def _ask(client: OpenAI, budget: Budget, what: str, request: Callable[[OpenAI], T]) -> T:
    """Make one OpenAI request with retries, in the time the budget allows.

    Raises:
        PermanentFailureError: OpenAI refused the request (400).
        TransientError: still failing after the retries, or no time was left.
    """
    plan = budget.plan(what, TIMEOUT_SECONDS, ATTEMPTS, longest_wait(MAX_RETRY_AFTER_SECONDS))
    timed = client.with_options(timeout=plan.timeout_seconds, max_retries=0)

    def attempt() -> T:
        try:
            return request(timed)
        except openai.RateLimitError as err:
            raise RetryLaterError(f"OpenAI answered 429: {err.message}", _asked_delay(err)) from err

    retrying = provider_retrying(is_transient, plan.attempts, 0.5, MAX_RETRY_AFTER_SECONDS)
    try:
        return retrying(attempt)
    except RetryError as err:
        cause = err.last_attempt.exception()
        raise TransientError(f"OpenAI failed to {what}: {cause}") from cause
    except openai.BadRequestError as err:
        raise PermanentFailureError(f"OpenAI refused the request: {err.message}", 400) from err
    except openai.APIError as err:
        raise TransientError(f"OpenAI failed to {what}: {err}") from err


def open_conversation(client: OpenAI, context: ContextObject, channel: str, budget: Budget) -> str:
    """Create the OpenAI Conversation of one conversation of ours; returns its id, which the
    caller keeps on the record, so that a retry reuses it instead of leaving an orphan.

    Raises:
        PermanentFailureError: OpenAI refused the request (400).
        TransientError: still failing after the retries, or no time was left.
    """
    metadata = {"conversation_id": context.conversation_data.conversation_id, "channel": channel}
    conversation = _ask(
        client,
        budget,
        "open a conversation",
        lambda timed: timed.conversations.create(metadata=metadata),
    )
    return conversation.id


def draft_first_message(
    client: OpenAI, context: ContextObject, channel: str, ai_conversation_id: str, budget: Budget
) -> Drafted:
    """Ask for the channel's structured first message in the conversation's OpenAI
    Conversation (``open_conversation``).

    Raises:
        PermanentFailureError: OpenAI refused the request (400) or answered off-schema.
        TransientError: still failing after the retries (429, 5xx, timeouts, auth), or no
            time was left.
    """
    prompt = load_prompt(channel)
    settings = context.ai_settings(channel)
    model = str(settings.get("model", DEFAULT_MODEL))
    extra = {k: settings[k] for k in ("temperature", "top_p") if k in settings}
    response = _ask(
        client,
        budget,
        "write the first message",
        lambda timed: timed.responses.create(
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
        ),
    )
    try:
        output = json.loads(response.output_text)
    except ValueError as err:
        raise PermanentFailureError("OpenAI's answer is not the requested JSON") from err
    missing = [k for k in prompt.schema.get("required", []) if not output.get(k)]
    if missing:
        raise PermanentFailureError(f"OpenAI's answer lacks {missing}")
    return Drafted(ai_conversation_id, response.id, output, prompt.version, model)
