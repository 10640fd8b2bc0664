"""The local Bedrock: ``POST /model/{modelId}/converse`` answered on the local AWS endpoint
in Bedrock Runtime's wire format, so boto3's ``bedrock-runtime`` client works against it
unchanged (moto has no Bedrock Runtime). Everything else goes on to the next application.

It plays no model itself: it asks the profiles' model fakes (:class:`ModelFake`), in
order, and the first that recognises the request as its system's answers it. A request no
fake recognises is refused with ``ValidationException`` saying so, rather than answered
with a guess a system would then take for a model's answer.

Test aids, for any system's failure paths: a model id containing ``throttle``, or a prompt
containing :data:`THROTTLE_MARKER`, answers ``ThrottlingException`` (HTTP 429), as Bedrock
does under load; a prompt containing :data:`FAIL_MARKER` answers ``ValidationException``
(HTTP 400), as Bedrock refuses a request it cannot take.

Given a real ``bedrock-runtime`` client (``BEDROCK_REAL=1``: ``outside.real_bedrock``), it
forwards each Converse request to it instead and answers with what Bedrock answered, its
errors included, so the functions run unchanged and never hold the real credentials.
(Converse's blobs, images and documents, would reach it still base64-encoded.)
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_CONVERSE_PATH = re.compile(r"^/model/(?P<model>[^/]+)/converse$")
THROTTLE_MARKER = "[local:throttle]"
# Not the video jobs' ``[local:fail]``: a text that reaches both a script and its clips'
# prompts must be able to fail the clips alone.
FAIL_MARKER = "[local:model-fail]"


class ModelError(Exception):
    """A Converse request refused as Bedrock refuses it: ``code`` is its error type
    (``x-amzn-ErrorType``), ``status`` its HTTP status. A model fake raises it for a request
    that is its system's but that it cannot answer."""

    def __init__(self, message: str, code: str = "ValidationException", status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


class ModelFake(Protocol):
    """A profile's stand-in for the model its system calls through Converse."""

    # What the refusal of an unrecognised request lists (e.g. "text-to-SQL").
    name: str

    def answers(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The ConverseResponse (``output``, ``stopReason``, ``usage``; the local Bedrock
        adds ``metrics``) for a request this fake recognises, or None for any other.

        Raises:
            ModelError: the request is this fake's, but cannot be answered.
        """
        ...


def texts(request: dict[str, Any]) -> tuple[str, str]:
    """(the system prompt, the last user message's text): what a fake reads a request by."""
    system = " ".join(str(b.get("text", "")) for b in request.get("system", []))
    last = ""
    for message in request.get("messages", []):
        if message.get("role") == "user":
            last = " ".join(str(b.get("text", "")) for b in message.get("content", []))
    return system, last


def tool_names(request: dict[str, Any]) -> list[str]:
    """The names of the tools the request declares (``toolConfig``), in order."""
    tools = (request.get("toolConfig") or {}).get("tools") or []
    return [str(t.get("toolSpec", {}).get("name", "")) for t in tools]


def tool_use(name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    """A ``toolUse`` content block, as a model asked for structured output answers."""
    return {
        "toolUse": {
            "toolUseId": f"tooluse_{uuid.uuid4().hex[:22]}",
            "name": name,
            "input": tool_input,
        }
    }


def response(content: dict[str, Any], stop_reason: str, prompt: str, output: str) -> dict[str, Any]:
    """A ConverseResponse of one content block; its ``usage`` counts a token a word of
    ``prompt`` (what the model read) and ``output`` (what it wrote), a fair local guess."""
    tokens_in, tokens_out = len(prompt.split()), len(output.split())
    return {
        "output": {"message": {"role": "assistant", "content": [content]}},
        "stopReason": stop_reason,
        "usage": {
            "inputTokens": tokens_in,
            "outputTokens": tokens_out,
            "totalTokens": tokens_in + tokens_out,
        },
    }


def _whole_prompt(request: dict[str, Any]) -> str:
    """Every text of the request, system prompt and all messages, for the test markers."""
    blocks = [*request.get("system", [])]
    for message in request.get("messages", []):
        blocks.extend(message.get("content", []))
    return " ".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict))


def converse(models: Sequence[ModelFake], model: str, request: dict[str, Any]) -> dict[str, Any]:
    """The ConverseResponse of the first of ``models`` that answers ``request``.

    Raises:
        ModelError: a test marker asked for an error, a fake refused the request, or no
            fake recognises it.
    """
    started = time.monotonic()
    prompt = _whole_prompt(request)
    if "throttle" in model or THROTTLE_MARKER in prompt:
        raise ModelError("Too many requests", "ThrottlingException", 429)
    if FAIL_MARKER in prompt:
        raise ModelError(f"The request failed on demand ({FAIL_MARKER} in the prompt)")
    for fake in models:
        answer = fake.answers(request)
        if answer is not None:
            latency = max(1, round((time.monotonic() - started) * 1000))
            return {**answer, "metrics": {"latencyMs": latency}}
    known = ", ".join(fake.name for fake in models) or "none"
    raise ModelError(
        f"The local Bedrock has no model for this request: none of the profiles' model "
        f"fakes ({known}) recognises it as its system's"
    )


def forward(real: Any, model: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of real Bedrock's answer to one Converse request, as its wire
    sends them: the ConverseResponse, or an error's ``{"message"}`` with ``__type`` (the
    code, which ``_error`` moves to ``x-amzn-ErrorType``)."""
    try:
        answer = dict(real.converse(**{**request, "modelId": model}))
    except ClientError as err:
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
        error = err.response.get("Error", {})
        body = {"__type": error.get("Code", "InternalServerException")}
        return status, body | {"message": error.get("Message", str(err))}
    except ParamValidationError as err:  # not a request Converse takes
        return 400, {"__type": "ValidationException", "message": str(err)}
    except BotoCoreError as err:  # Bedrock could not be reached in time
        return 503, {"__type": "ServiceUnavailableException", "message": str(err)}
    answer.pop("ResponseMetadata", None)
    return 200, answer


def _wire(value: Any) -> Any:
    """JSON for what boto3 parsed: blobs back to base64, as the wire carries them."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON")


class LocalBedrock:
    """WSGI middleware answering Converse (through ``models``, the profiles' model fakes,
    or ``real``, a ``bedrock-runtime`` client); anything else goes on to ``aws``."""

    def __init__(
        self, aws: WSGIApplication, models: Sequence[ModelFake] = (), real: Any | None = None
    ) -> None:
        self.aws = aws
        self.models = tuple(models)
        self.real = real

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        match = _CONVERSE_PATH.match(environ.get("PATH_INFO", ""))
        if not match or environ.get("REQUEST_METHOD") != "POST":
            return self.aws(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        model = unquote(match["model"])
        try:
            request = json.loads(body or b"{}")
            if not isinstance(request, dict) or not request.get("messages"):
                raise ValueError("messages is required")
        except ValueError as err:
            return _error(start_response, 400, "ValidationException", str(err))
        if self.real is not None:
            status, answer = forward(self.real, model, request)
            if status != 200:
                return _error(start_response, status, str(answer["__type"]), answer["message"])
            return _answer(start_response, answer)
        try:
            return _answer(start_response, converse(self.models, model, request))
        except ModelError as err:
            return _error(start_response, err.status, err.code, str(err))


def _answer(start_response: StartResponse, answer: dict[str, Any]) -> list[bytes]:
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    )
    return [json.dumps(answer, default=_wire).encode()]


def _error(start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
    """An error as Bedrock Runtime sends it: the type in ``x-amzn-ErrorType``, boto3's code."""
    start_response(
        f"{status} {_phrase(status)}",
        [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [json.dumps({"message": message}).encode()]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
