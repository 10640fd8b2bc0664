"""What SQL may run: one read-only query (SELECT, or WITH ... SELECT) over the dataset's own
table, with a LIMIT no larger than the caller's row limit. Athena would run anything the
function's role may touch, every user's tables share one database, and the SQL may come
from a model that read a hostile question or hostile cells: so every query, typed or
generated, is parsed here with a real SQL parser (sqlglot, Athena's dialect) and refused
before it runs unless it is plainly a read of that one table.

Refused: anything that is not one statement; DDL, DML, CTAS, ``SELECT ... INTO``,
``UNLOAD``, ``EXPLAIN``, ``SHOW``, ``USING EXTERNAL FUNCTION`` (sqlglot reads the last four
as opaque commands); other tables, schemas or catalogs (``information_schema`` too); table
functions and functions sqlglot does not know as built-ins (user-defined, Lambda or
SageMaker functions reach outside the table)."""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from chalicelib.csvchat.exceptions import QueryRefusedError

DIALECT = "athena"
CATALOG = "awsdatacatalog"
# sqlglot logs a warning for each statement it falls back to reading as a command; the
# guard refuses those itself.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def _statement(sql: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as err:
        detail = err.errors[0]["description"] if err.errors else str(err)
        raise QueryRefusedError(f"the SQL could not be read: {detail}") from None
    if len(statements) != 1:
        raise QueryRefusedError("send exactly one SQL statement")
    return statements[0]


def _check_tables(query: exp.Query, table: str, database: str) -> None:
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    for found in query.find_all(exp.Table):
        if not isinstance(found.this, exp.Identifier):
            raise QueryRefusedError("table functions cannot be used here")
        if found.name in ctes and not found.db:
            continue
        if (
            found.name != table
            or found.db not in ("", database)
            or found.catalog not in ("", CATALOG)
        ):
            raise QueryRefusedError(f"the query may read only this dataset's table, {table}")


def _limited(query: exp.Query, row_limit: int) -> exp.Query:
    limit = query.args.get("limit")
    expression = limit.expression if isinstance(limit, exp.Limit) else None
    if (
        isinstance(expression, exp.Literal)
        and expression.is_int
        and int(expression.this) <= row_limit
    ):
        return query
    return query.limit(row_limit)


def checked_sql(sql: str, table: str, database: str, row_limit: int | None = None) -> str:
    """The SQL to run, normalised (one spelling per query, so it can key a cache) and, with
    ``row_limit``, limited to that many rows.

    Raises:
        QueryRefusedError: why it may not run (a sentence for the person who asked).
    """
    statement = _statement(sql)
    if not isinstance(statement, exp.Query) or isinstance(statement, exp.Values):
        raise QueryRefusedError("only a read-only query (SELECT or WITH) can run here")
    query: exp.Query = statement
    if query.find(exp.Into):
        raise QueryRefusedError("SELECT ... INTO writes a table: only reads can run here")
    unknown = next(query.find_all(exp.Anonymous), None)
    if unknown is not None:
        raise QueryRefusedError(f"the function {unknown.name} cannot be used here")
    _check_tables(query, table, database)
    if row_limit is not None:
        query = _limited(query, row_limit)
    return query.sql(dialect=DIALECT)
