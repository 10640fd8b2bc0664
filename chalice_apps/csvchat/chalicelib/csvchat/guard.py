"""What SQL may run: one read-only query (SELECT, or WITH ... SELECT) over the dataset's own
table, with a LIMIT no larger than the caller's row limit. Every query, typed or generated
by a model that read a hostile question or hostile cells, is parsed here with a real SQL
parser (sqlglot, Athena's dialect) and refused before it runs unless it is plainly a bounded
read of that one table. The guard is the first wall, not the only one: each query also runs
with credentials that can read only the caller's dataset (``query_access.py``).

Names are resolved as Trino resolves them (sqlglot's scope analysis): a WITH name is visible
only inside the query that declares it, in the WITH items after it and in that query's body
(with its subqueries), never before its declaration or in a sibling query. Any other name is
a table. A WITH name may not be a table's name (the dataset's, or any name a dataset's table
can have), so a reader never has to know which one Athena would pick; a table reference the
scope analysis does not place is refused.

Refused: anything that is not one statement; DDL, DML, CTAS, ``SELECT ... INTO``,
``UNLOAD``, ``EXPLAIN``, ``SHOW``, ``USING EXTERNAL FUNCTION`` (sqlglot reads the last four
as opaque commands); other tables, schemas or catalogs (``information_schema`` too); table
functions and functions sqlglot does not know as built-ins (user-defined, Lambda or
SageMaker functions reach outside the table); ``WITH RECURSIVE`` and the functions that make
rows from nothing (``sequence``, ``UNNEST``), which scan no bytes, so the workgroup's
bytes-scanned cutoff never sees what they cost."""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from chalicelib.csvchat.catalog import table_name
from chalicelib.csvchat.exceptions import QueryRefusedError

DIALECT = "athena"
CATALOG = "awsdatacatalog"
# Every dataset's table is named with this prefix (``catalog.table_name``).
TABLE_PREFIX = table_name("")
# Functions that make rows (or arrays to unnest into rows) without reading the table.
ROW_GENERATORS: tuple[type[exp.Expr], ...] = (
    exp.GenerateSeries,
    exp.GenerateDateArray,
    exp.GenerateTimestampArray,
    exp.Unnest,
    exp.Explode,
)
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


def _check_with_names(query: exp.Query, table: str) -> None:
    for with_ in query.find_all(exp.With):
        if with_.args.get("recursive"):
            raise QueryRefusedError("WITH RECURSIVE cannot run here")
        declared = [cte.alias_or_name.lower() for cte in with_.expressions]
        for name in declared:
            if name == table.lower() or name.startswith(TABLE_PREFIX):
                raise QueryRefusedError(f"a WITH query may not be named like a table ({name})")
        if len(set(declared)) != len(declared):
            raise QueryRefusedError("a WITH declares the same name twice")


def _visible_ctes(query: exp.Query) -> dict[int, frozenset[str]]:
    """Each table reference the scope analysis places (by node id), with the WITH names
    visible where it stands (lower case: Athena's names are case-insensitive)."""
    try:
        scopes = traverse_scope(query)
    except SqlglotError:
        raise QueryRefusedError("the guard could not work out what this query reads") from None
    placed: dict[int, frozenset[str]] = {}
    for scope in scopes:
        visible = frozenset(name.lower() for name in scope.cte_sources)
        for found in scope.tables:
            if placed.setdefault(id(found), visible) != visible:
                raise QueryRefusedError("the guard could not work out what this query reads")
    return placed


def _check_tables(query: exp.Query, table: str, database: str) -> None:
    placed = _visible_ctes(query)
    for found in query.find_all(exp.Table):
        if not isinstance(found.this, exp.Identifier):
            raise QueryRefusedError("table functions cannot be used here")
        visible = placed.get(id(found))
        if visible is None:
            raise QueryRefusedError("the guard could not work out what this query reads")
        name = found.name.lower()
        if not found.db and not found.catalog and name in visible:
            continue  # a WITH query declared in scope
        if (
            name != table.lower()
            or found.db.lower() not in ("", database.lower())
            or found.catalog.lower() not in ("", CATALOG)
        ):
            raise QueryRefusedError(f"the query may read only this dataset's table, {table}")


def _limited(query: exp.Query, row_limit: int) -> exp.Query:
    limit = query.args.get("limit")
    expression = None
    if isinstance(limit, exp.Limit):
        expression = limit.expression
    elif isinstance(limit, exp.Fetch):  # FETCH FIRST n ROWS ONLY
        expression = limit.args.get("count")
    if (
        isinstance(expression, exp.Literal)
        and expression.is_int
        and int(expression.this) <= row_limit
    ):
        return query
    return query.limit(row_limit)


def checked_sql(sql: str, table: str, database: str, row_limit: int | None = None) -> str:
    """The SQL to run, normalised (one spelling per query, so it can key a cache) and, with
    ``row_limit``, limited to that many rows (every route passes one; tests of the reading
    alone may not).

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
    generator = next(query.find_all(*ROW_GENERATORS), None)
    if generator is not None:
        raise QueryRefusedError(
            "functions that make rows without reading the table (sequence, UNNEST) "
            "cannot be used here"
        )
    _check_with_names(query, table)
    _check_tables(query, table, database)
    if row_limit is not None:
        query = _limited(query, row_limit)
    return query.sql(dialect=DIALECT)
