"""One question of a chat, answered: the model writes SQL from the table's schema, a few
sample rows and the last turns; the guard decides whether it may run (a refusal is an
answer that says why, and nothing runs); the query runs in the workgroup unless the same
normalised SQL over the same dataset version was answered lately (the cache); the rows
become a sentence. Each step's time is kept with the message and sent as EMF metrics."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.csvchat.answers import in_words
from chalicelib.csvchat.chats import ChatStore, PreferenceStore, cache_key
from chalicelib.csvchat.datasets import READY
from chalicelib.csvchat.exceptions import (
    DatasetNotReadyError,
    ModelBusyError,
    ModelUnavailableError,
    QueryFailedError,
    QueryRefusedError,
    QueryTimeoutError,
)
from chalicelib.csvchat.guard import checked_sql
from chalicelib.csvchat.models import ChatLimits
from chalicelib.csvchat.nl2sql import SAMPLE_ROWS, TURNS, Turn, converse_request, suggest_sql
from chalicelib.csvchat.queries import DatasetTable, QueryRun, run_query
from chalicelib.csvchat.service import DatasetDeps, owned

Record = Callable[[dict[str, float]], None]


@dataclass(frozen=True)
class ChatDeps:
    datasets: DatasetDeps
    chats: ChatStore
    preferences: PreferenceStore
    run: QueryRun
    bedrock: Any  # a bedrock-runtime client
    limits: ChatLimits
    now: Callable[[], str]
    record: Record
    clock: Callable[[], float] = time.monotonic


def start_chat(deps: ChatDeps, owner: str, dataset_id: str) -> dict[str, Any]:
    """A new chat over the caller's dataset. Raises DatasetNotFoundError (404)."""
    owned(deps.datasets, owner, dataset_id)
    chat_id = uuid.uuid4().hex
    deps.chats.create_chat(owner, chat_id, dataset_id, deps.now())
    return {"chat_id": chat_id, "dataset_id": dataset_id}


def _result(
    deps: ChatDeps, owner: str, dataset: dict[str, Any], sql: str
) -> tuple[dict[str, Any], bool]:
    """(the query's result as JSON, whether it came from the cache)."""
    key = cache_key(str(dataset["dataset_id"]), str(dataset["updated_at"]), sql)
    found = deps.chats.cached(owner, key)
    if found is not None:
        return found, True
    dataset_table = DatasetTable(owner, str(dataset["dataset_id"]), str(dataset["table"]))
    result = run_query(deps.run, dataset_table, sql).as_json()
    if deps.limits.cache_seconds:
        deps.chats.cache(owner, key, str(dataset["dataset_id"]), result, deps.limits.cache_seconds)
    return result, False


def _samples(deps: ChatDeps, owner: str, dataset: dict[str, Any]) -> list[list[str | None]]:
    sql = checked_sql(
        f'SELECT * FROM "{dataset["table"]}"',
        str(dataset["table"]),
        deps.datasets.database,
        SAMPLE_ROWS,
    )
    return list(_result(deps, owner, dataset, sql)[0]["rows"])


# Which count (``names.REPLY_COUNTS``) a failed question adds to: what the alarms divide.
_FAILURES: tuple[tuple[type[Exception], str], ...] = (
    (ModelBusyError, "throttled"),
    (ModelUnavailableError, "model_failed"),
    (QueryFailedError, "query_failed"),
    (QueryTimeoutError, "query_failed"),
)


def ask(deps: ChatDeps, owner: str, chat_id: str, question: str) -> dict[str, Any]:
    """The reply to ``question`` (specs/csvchat.md), stored in the chat's history. Every
    question is recorded (``deps.record``): its timings and refusal, or what failed.

    Raises:
        ChatNotFoundError, DatasetNotFoundError (404); DatasetNotReadyError (409);
        ModelBusyError (429); ModelUnavailableError, QueryTimeoutError (503);
        QueryFailedError (400).
    """
    try:
        message = _reply(deps, owner, chat_id, question)
    except Exception as err:
        failed: dict[str, float] = {c: 1 for kind, c in _FAILURES if isinstance(err, kind)}
        deps.record({"questions": 1, **failed})
        raise
    refused = 1 if "refused" in message else 0
    deps.record({"questions": 1, **message["elapsed_ms"], "refused": refused})
    return message


def _reply(deps: ChatDeps, owner: str, chat_id: str, question: str) -> dict[str, Any]:
    started = deps.clock()
    chat = deps.chats.chat(owner, chat_id)
    dataset = owned(deps.datasets, owner, str(chat["dataset_id"]))
    if dataset["status"] != READY:
        raise DatasetNotReadyError(f"the dataset is {dataset['status']}, not ready")
    table, row_limit = str(dataset["table"]), deps.preferences.get(owner).row_limit
    turns = [
        Turn(m["question"], m["sql"])
        for m in deps.chats.recent(owner, chat_id, TURNS)
        if "refused" not in m
    ]
    request = converse_request(
        deps.limits.model_id,
        table,
        dataset.get("columns", []),
        _samples(deps, owner, dataset),
        turns,
        question,
    )
    suggestion = suggest_sql(deps.bedrock, request)
    guard_started = deps.clock()
    message: dict[str, Any] = {
        "message_id": uuid.uuid4().hex,
        "created_at": deps.now(),
        "question": question,
        "sql": suggestion.sql,
        "explanation": suggestion.explanation,
    }
    elapsed = {"model": suggestion.elapsed_ms}
    try:
        sql = checked_sql(suggestion.sql, table, deps.datasets.database, row_limit)
    except QueryRefusedError as refusal:
        message |= {
            "refused": refusal.message,
            "answer": f"That query was not run: {refusal.message}.",
        }
    else:
        elapsed["guard"] = round((deps.clock() - guard_started) * 1000)
        query_started = deps.clock()
        result, cached = _result(deps, owner, dataset, sql)
        elapsed["query"] = round((deps.clock() - query_started) * 1000)
        format_started = deps.clock()
        rows = result["rows"][: deps.limits.preview_rows]
        message |= {
            "sql": sql,
            "answer": in_words(result["columns"], result["rows"], suggestion.explanation),
            "columns": result["columns"],
            "rows": rows,
            "truncated": bool(result["truncated"]) or len(rows) < len(result["rows"]),
            "cached": cached,
        }
        elapsed["format"] = round((deps.clock() - format_started) * 1000)
    elapsed["total"] = round((deps.clock() - started) * 1000)
    message["elapsed_ms"] = elapsed
    deps.chats.add_message(owner, chat_id, message)
    return message
