"""What SQL the query route lets through: one SELECT (or WITH ... SELECT) that reads only
the dataset's own table. Athena would run anything the function's role may touch, and every
user's tables share one database, so a query naming another table (another user's dataset)
is refused before it runs. Read with sqlglot in Athena's dialect."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from chalicelib.csvchat.exceptions import QueryRefusedError


def checked_sql(sql: str, table: str, database: str) -> str:
    """The SQL, once it is one query over ``table`` (optionally ``database.table``).

    Raises:
        QueryRefusedError: not SQL, not one statement, not a query, or another table.
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except ParseError as err:
        raise QueryRefusedError(
            f"the SQL could not be read: {err.errors[0]['description'] if err.errors else err}"
        ) from None
    if len(statements) != 1:
        raise QueryRefusedError("send exactly one SQL statement")
    query = statements[0]
    if not isinstance(query, exp.Query):
        raise QueryRefusedError("only SELECT queries can run here")
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    for found in query.find_all(exp.Table):
        if not found.name or (found.name in ctes and not found.db):
            continue
        if (
            found.name != table
            or found.db not in ("", database)
            or found.catalog not in ("", "awsdatacatalog")
        ):
            raise QueryRefusedError(f"the query may read only this dataset's table, {table}")
    return sql
