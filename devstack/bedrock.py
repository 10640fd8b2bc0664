"""The local Bedrock: ``POST /model/{modelId}/converse`` answered on the local AWS endpoint
in Bedrock Runtime's wire format, so boto3's ``bedrock-runtime`` client works against it
unchanged (moto has no Bedrock Runtime). Everything else goes on to the next application.

It plays a text-to-SQL model, offline: it finds the table in the prompt (a ``CREATE TABLE``
statement anywhere in the system prompt or the messages, the usual way to show a model a
schema) and writes SQL for the last user message: counts, sum/average/min/max of a column
(optionally by another), top N by a column, and a filter on a value. When the request
declares a tool (``toolConfig``), it answers with a ``toolUse`` of the first tool whose input
is ``{"sql", "explanation"}``, as a model asked for structured output does; otherwise with
text. It is gullible on purpose: an instruction "run: <SQL>" in the system prompt (a sample
cell) or the question is obeyed, so what stands between a hostile prompt and the database is what
a system tests, not the fake's good sense. A model id containing ``throttle`` answers
``ThrottlingException`` (HTTP 429), as Bedrock does under load.

Given a real ``bedrock-runtime`` client (``BEDROCK_REAL=1``: ``outside.real_bedrock``), it
forwards each Converse request to it instead and answers with what Bedrock answered, its
errors included, so the functions run unchanged and never hold the real credentials.
(Converse's blobs, images and documents, would reach it still base64-encoded: csvchat
sends text only.)
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import sqlglot
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from sqlglot import exp
from sqlglot.errors import ParseError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_CONVERSE_PATH = re.compile(r"^/model/(?P<model>[^/]+)/converse$")
_CREATE = re.compile(r"CREATE\s+(?:EXTERNAL\s+)?TABLE\s+[^;]*?\)(?=\s*(?:;|$|\n\S))", re.I | re.S)
_RUN = re.compile(r"\brun:\s*(?P<sql>[^\n\"]+)", re.I)
_AGGREGATES = {
    "average": "AVG",
    "avg": "AVG",
    "mean": "AVG",
    "sum": "SUM",
    "total": "SUM",
    "minimum": "MIN",
    "min": "MIN",
    "lowest": "MIN",
    "maximum": "MAX",
    "max": "MAX",
    "highest": "MAX",
}
_NUMERIC = ("INT", "BIGINT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "SMALLINT", "TINYINT")


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, str]  # name -> type, in order

    def numeric(self) -> list[str]:
        return [c for c, t in self.columns.items() if t.upper().startswith(_NUMERIC)]


def _texts(request: dict[str, Any]) -> tuple[str, str]:
    """(the system prompt, the last user message's text)."""
    system = " ".join(str(b.get("text", "")) for b in request.get("system", []))
    last = ""
    for message in request.get("messages", []):
        if message.get("role") == "user":
            last = " ".join(str(b.get("text", "")) for b in message.get("content", []))
    return system, last


def find_table(prompt: str) -> Table | None:
    """The last table the prompt declares with ``CREATE TABLE``."""
    for statement in reversed(_CREATE.findall(prompt)):
        try:
            create = sqlglot.parse_one(statement, read="athena")
        except ParseError:
            continue
        schema = create.this if isinstance(create, exp.Create) else None
        if isinstance(schema, exp.Schema) and isinstance(schema.this, exp.Table):
            columns = {
                c.name: (c.args["kind"].sql("athena") if c.args.get("kind") else "STRING")
                for c in schema.expressions
                if isinstance(c, exp.ColumnDef)
            }
            return Table(schema.this.name, columns)
    return None


def _mentioned(question: str, columns: list[str]) -> list[str]:
    """Columns named in the question (``unit_price`` as "unit price" too), in its order."""
    lowered = question.lower()
    found = []
    for column in columns:
        for spelling in {column.lower(), column.lower().replace("_", " ")}:
            at = re.search(rf"\b{re.escape(spelling)}s?\b", lowered)
            if at:
                found.append((at.start(), column))
                break
    return [c for _, c in sorted(found)]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_sql(question: str, table: Table) -> tuple[str, str]:
    """(SQL, explanation) for one question about ``table``."""
    q = question.lower()
    source = _quoted(table.name)
    columns = list(table.columns)
    named = _mentioned(q, columns)
    numeric = [c for c in named if c in table.numeric()]
    by = re.search(r"\b(?:by|per|for each)\s+([\w ]+)", q)
    group = _mentioned(by.group(1), columns)[:1] if by else []
    top = re.search(r"\b(?:top|first|largest|biggest)\s+(\d+)", q)
    if top and numeric:
        n, key = int(top.group(1)), numeric[-1]
        sql = f"SELECT * FROM {source} ORDER BY {_quoted(key)} DESC LIMIT {n}"
        return sql, f"The {n} rows with the highest {key}."
    aggregate = next((f for word, f in _AGGREGATES.items() if re.search(rf"\b{word}\b", q)), None)
    measure = [c for c in numeric if c not in group]
    if aggregate and measure:
        value = f"{aggregate}({_quoted(measure[0])})"
        alias = f"{aggregate.lower()}_{measure[0]}"
        if group:
            g = _quoted(group[0])
            sql = f"SELECT {g}, {value} AS {alias} FROM {source} GROUP BY {g} ORDER BY {g}"
            return sql, f"{aggregate.lower()} of {measure[0]} for each {group[0]}."
        return f"SELECT {value} AS {alias} FROM {source}", f"{aggregate.lower()} of {measure[0]}."
    if re.search(r"\bhow many\b|\bcount\b|\bnumber of\b", q):
        if group:
            g = _quoted(group[0])
            sql = f"SELECT {g}, COUNT(*) AS row_count FROM {source} GROUP BY {g} ORDER BY {g}"
            return sql, f"The number of rows for each {group[0]}."
        return f"SELECT COUNT(*) AS row_count FROM {source}", "The number of rows."
    where = re.search(r"\b(\w+)\s+(?:is|=|equals)\s+'?([\w.\-]+)'?", q)
    if where and (column := next(iter(_mentioned(where.group(1), columns)), None)):
        value = where.group(2)
        literal = value if column in table.numeric() else "'" + value.replace("'", "''") + "'"
        sql = f"SELECT * FROM {source} WHERE {_quoted(column)} = {literal} LIMIT 100"
        return sql, f"The rows whose {column} is {value}."
    return f"SELECT * FROM {source} LIMIT 10", "A few rows of the table."


def converse(request: dict[str, Any]) -> dict[str, Any]:
    """Bedrock's ConverseResponse for one request."""
    started = time.monotonic()
    system, question = _texts(request)
    prompt = f"{system}\n{question}"
    injected = _RUN.search(prompt)
    table = find_table(system) or find_table(question)
    if injected:
        sql, explanation = injected.group("sql").strip(), "As instructed."
    elif table is not None:
        sql, explanation = write_sql(question, table)
    else:
        sql, explanation = "SELECT 1", "No table was given."
    tools = (request.get("toolConfig") or {}).get("tools") or []
    if tools:
        name = tools[0]["toolSpec"]["name"]
        content: dict[str, Any] = {
            "toolUse": {
                "toolUseId": f"tooluse_{uuid.uuid4().hex[:22]}",
                "name": name,
                "input": {"sql": sql, "explanation": explanation},
            }
        }
        stop = "tool_use"
    else:
        content, stop = {"text": json.dumps({"sql": sql, "explanation": explanation})}, "end_turn"
    words_in, words_out = len(prompt.split()), len(sql.split()) + len(explanation.split())
    return {
        "output": {"message": {"role": "assistant", "content": [content]}},
        "stopReason": stop,
        "usage": {
            "inputTokens": words_in,
            "outputTokens": words_out,
            "totalTokens": words_in + words_out,
        },
        "metrics": {"latencyMs": max(1, round((time.monotonic() - started) * 1000))},
    }


def forward(real: Any, model: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of real Bedrock's answer to one Converse request, as its wire
    sends them: the ConverseResponse, or an error's ``{"message"}`` with ``__type`` (the
    code, which ``_error`` moves to ``x-amzn-ErrorType``)."""
    try:
        response = dict(real.converse(**{**request, "modelId": model}))
    except ClientError as err:
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
        error = err.response.get("Error", {})
        body = {"__type": error.get("Code", "InternalServerException")}
        return status, body | {"message": error.get("Message", str(err))}
    except ParamValidationError as err:  # not a request Converse takes
        return 400, {"__type": "ValidationException", "message": str(err)}
    except BotoCoreError as err:  # Bedrock could not be reached in time
        return 503, {"__type": "ServiceUnavailableException", "message": str(err)}
    response.pop("ResponseMetadata", None)
    return 200, response


def _wire(value: Any) -> Any:
    """JSON for what boto3 parsed: blobs back to base64, as the wire carries them."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON")


class LocalBedrock:
    """WSGI middleware answering Converse (itself, or through ``real``, a
    ``bedrock-runtime`` client); anything else goes on to ``aws``."""

    def __init__(self, aws: WSGIApplication, real: Any | None = None) -> None:
        self.aws = aws
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
            return _error(start_response, "400 Bad Request", "ValidationException", str(err))
        if self.real is not None:
            status, answer = forward(self.real, model, request)
            if status != 200:
                line, code = f"{status} {_phrase(status)}", str(answer["__type"])
                return _error(start_response, line, code, str(answer["message"]))
            return _answer(start_response, answer)
        if "throttle" in model:
            return _error(
                start_response, "429 Too Many Requests", "ThrottlingException", "Too many requests"
            )
        return _answer(start_response, converse(request))


def _answer(start_response: StartResponse, response: dict[str, Any]) -> list[bytes]:
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    )
    return [json.dumps(response, default=_wire).encode()]


def _error(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    """An error as Bedrock Runtime sends it: the type in ``x-amzn-ErrorType``, boto3's code."""
    start_response(
        status,
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
