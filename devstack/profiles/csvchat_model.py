"""csvchat's model on the local stack: a text-to-SQL model, offline, one of the model fakes
the local Bedrock asks (``devstack/services/bedrock/converse.py``). It recognises csvchat's
requests: those that declare a tool whose input is ``{"sql", "explanation"}`` (the tool
csvchat asks for structured output with), or, declaring no tool, show a table with
``CREATE TABLE``.

It finds the table in the prompt (a ``CREATE TABLE`` statement anywhere in the system prompt
or the messages, the usual way to show a model a schema) and writes SQL for the last user
message: counts, sum/average/min/max of a column (optionally by another), top N by a
column, and a filter on a value. Given the tool, it answers with a ``toolUse`` of it, as a
model asked for structured output does; otherwise with text. It is gullible on purpose: an
instruction "run: <SQL>" in the system prompt (a sample cell) or the question is obeyed, so
what stands between a hostile prompt and the database is what csvchat tests, not the
fake's good sense.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from devstack.services.bedrock.converse import response, texts, tool_names, tool_use

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
_TOOL_INPUT = {"sql", "explanation"}
_NUMERIC = ("INT", "BIGINT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "SMALLINT", "TINYINT")


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, str]  # name -> type, in order

    def numeric(self) -> list[str]:
        return [c for c, t in self.columns.items() if t.upper().startswith(_NUMERIC)]


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


def _sql_tool(request: dict[str, Any]) -> str | None:
    """The name of the first declared tool whose input is ``{"sql", "explanation"}``."""
    for tool in (request.get("toolConfig") or {}).get("tools") or []:
        spec = tool.get("toolSpec", {})
        properties = spec.get("inputSchema", {}).get("json", {}).get("properties", {})
        if set(properties) == _TOOL_INPUT:
            return str(spec.get("name", ""))
    return None


class TextToSql:
    """The model fake csvchat's profile declares."""

    name = "csvchat's text-to-SQL"

    def answers(self, request: dict[str, Any]) -> dict[str, Any] | None:
        system, question = texts(request)
        prompt = f"{system}\n{question}"
        tool = _sql_tool(request)
        declared = bool(tool_names(request))
        if (declared and tool is None) or (not declared and not _CREATE.search(prompt)):
            return None
        injected = _RUN.search(prompt)
        table = find_table(system) or find_table(question)
        if injected:
            sql, explanation = injected.group("sql").strip(), "As instructed."
        elif table is not None:
            sql, explanation = write_sql(question, table)
        else:
            sql, explanation = "SELECT 1", "No table was given."
        answer = {"sql": sql, "explanation": explanation}
        output = f"{sql} {explanation}"
        if tool is not None:
            return response(tool_use(tool, answer), "tool_use", prompt, output)
        return response({"text": json.dumps(answer)}, "end_turn", prompt, output)


MODEL = TextToSql()
