"""The local Athena's engine: one query in Athena's SQL (Trino's dialect) run by DuckDB over
the Glue tables it names, whose data is read from their S3 location in the local AWS
endpoint (moto) through the S3 API.

Each table becomes a DuckDB view over the objects under its location, read the way its
SerDe reads them in Athena:

- ``org.openx.data.jsonserde.JsonSerDe`` (JSON Lines): ``read_json`` with exactly the
  declared columns and types, so a value the SerDe could not read as its type fails the
  query here too, rather than being read generously;
- a CSV SerDe: ``read_csv`` with the dialect, encoding and header lines the table declares,
  every column read as text and cast to the Glue type with ``TRY_CAST`` (a value that does
  not fit is NULL, as with ``use.null.for.invalid.data``).

An object whose key ends in ``.gz`` is decompressed, as Athena decides by the extension.
sqlglot translates the query to DuckDB's dialect. What Athena would scan (every object
of every table) is measured before anything runs, so the workgroup's cutoff is honoured.
Objects are downloaded once per ETag into a cache folder.

Names are resolved as Trino resolves them (sqlglot's scope analysis): a WITH name only
inside the query that declares it, after its declaration; every other name is a table, read
through the catalog. So a query that Athena would answer from another table reads that
table here too, and the credentials' check below sees it. The engine reads a table only if
the query's credentials (``Reader``) may ``glue:GetTable`` it and ``s3:GetObject`` each of
its objects, as Athena reads with the caller's rights. DuckDB runs with a time limit, and
``interrupt()`` (StopQueryExecution) stops it mid-query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.scope import traverse_scope

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

CHUNK_BYTES = 8 << 20
CATALOG = "awsdatacatalog"
# Glue column types as DuckDB's (the rest are read as text).
_DUCK_TYPES = {
    "bigint": "BIGINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "string": "VARCHAR",
}
# DuckDB's result types as Athena names them in ColumnInfo.
_ATHENA_TYPES = {
    "BIGINT": "bigint",
    "HUGEINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "VARCHAR": "varchar",
}
_ENCODINGS = {"ISO-8859-1": "latin-1", "UTF-16": "utf-16", "UTF-8": "utf-8"}
# The SerDes whose tables are JSON Lines (the OpenX one and Hive's own).
JSON_SERDES = frozenset(
    {"org.openx.data.jsonserde.JsonSerDe", "org.apache.hive.hcatalog.data.JsonSerDe"}
)
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")


class QueryError(Exception):
    """A query Athena would fail: ``code`` is its error name (``TABLE_NOT_FOUND``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Reader:
    """Whose credentials run a query: ``allows(action, resource ARN)`` says what they may
    read; ``region`` and ``account`` complete the Glue ARNs."""

    principal: str
    allows: Callable[[str, str], bool]
    region: str
    account: str


@dataclass
class Outcome:
    columns: list[tuple[str, str]]  # name, Athena type
    rows: list[list[str | None]]
    scanned_bytes: int


@dataclass
class TableData:
    database: str
    name: str
    glue: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    size: int = 0


def athena_type(duck_type: str) -> str:
    base = duck_type.split("(")[0].upper()
    return "decimal" if base == "DECIMAL" else _ATHENA_TYPES.get(base, "varchar")


def as_text(value: Any) -> str | None:
    """A value as Athena's results show it (VarCharValue)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="milliseconds")
    if isinstance(value, Decimal | float | int | dt.date):
        return str(value)
    return str(value)


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _duck_type(column: dict[str, Any]) -> str:
    return _DUCK_TYPES.get(str(column["Type"]).lower(), "VARCHAR")


def _read_as(field: str, column: dict[str, Any]) -> str:
    """The SQL reading CSV text ``field`` as the Glue ``column`` declares it, NULL where it
    does not parse (``use.null.for.invalid.data``); ISO timestamps with ``Z`` or an offset
    become their UTC time."""
    duck_type = _duck_type(column)
    if duck_type == "VARCHAR":
        return field
    # Never a bare TRY_CAST of the column: DuckDB pushes that into read_csv as a strict
    # conversion, and a view then fails on the first "NA" instead of reading NULL.
    text = f"trim({field})"
    if duck_type == "TIMESTAMP":
        return f"TRY_CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP)"
    return f"TRY_CAST({text} AS {duck_type})"


def _location(table: dict[str, Any]) -> tuple[str, str]:
    where = str(table["StorageDescriptor"]["Location"]).removeprefix("s3://")
    bucket, _, prefix = where.partition("/")
    return bucket, prefix


def _denied(reader: Reader, action: str, resource: str) -> QueryError:
    return QueryError(
        "ACCESS_DENIED",
        f"User: {reader.principal} is not authorized to perform: {action} on resource: {resource}",
    )


def _extension(key: str) -> str:
    """The key's last extension (``.gz``, ``.csv``), or nothing for an unusual one."""
    found = _EXTENSION.search(key.rsplit("/", 1)[-1])
    return found.group(0).lower() if found else ""


def _files(paths: list[Path]) -> str:
    return "[" + ", ".join(_literal(str(p)) for p in paths) + "]"


def _json_source(paths: list[Path], columns: list[dict[str, Any]]) -> str:
    """The SELECT of a JSON SerDe table: each line an object, read by its keys (the column
    names) with the declared types."""
    declared = ", ".join(f"{_literal(c['Name'])}: {_literal(_duck_type(c))}" for c in columns)
    names = ", ".join(f'"{c["Name"]}"' for c in columns)
    if not paths:  # an empty location: an empty table
        nulls = ", ".join(f'NULL::{_duck_type(c)} AS "{c["Name"]}"' for c in columns)
        return f"SELECT {nulls} LIMIT 0"
    return (
        f"SELECT {names} FROM read_json({_files(paths)}, format='newline_delimited', "
        f"columns={{{declared}}}, auto_detect=false)"
    )


def _csv_source(data: TableData, columns: list[dict[str, Any]], serde: dict[str, str]) -> str:
    """The SELECT of a CSV SerDe table (OpenCSVSerde's ``separatorChar`` and ``quoteChar``,
    or LazySimpleSerDe's ``field.delim`` without quoting)."""
    skip = int(data.glue.get("Parameters", {}).get("skip.header.line.count", "0"))
    quote = serde.get("quoteChar", '"') if "separatorChar" in serde else ""
    delimiter = serde.get("separatorChar") or serde.get("field.delim") or ","
    encoding = _ENCODINGS.get(serde.get("serialization.encoding", "UTF-8"), "utf-8")
    positional = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns)))
    options = (
        f"delim={_literal(delimiter)}, quote={_literal(quote)}, escape={_literal(quote)}, "
        f"header=false, skip={skip}, columns={{{positional}}}, auto_detect=false, "
        f"null_padding=true, strict_mode=false, encoding={_literal(encoding)}"
    )
    casts = ", ".join(f'{_read_as(f"c{i}", c)} AS "{c["Name"]}"' for i, c in enumerate(columns))
    source = f"read_csv({_files(data.files)}, {options})"
    if not data.files:  # an empty location: an empty table
        nulls = ", ".join(f"NULL::VARCHAR AS c{i}" for i in range(len(columns)))
        source = f"(SELECT {nulls} LIMIT 0)"
    return f"SELECT {casts} FROM {source}"


def tables_read(query: exp.Query) -> list[exp.Table]:
    """The references of ``query`` that name tables (not WITH queries), by Trino's scope:
    a WITH name is visible in its own query's later WITH items and body (subqueries too).

    Raises:
        QueryError: a reference the scope analysis does not place.
    """
    try:
        scopes = traverse_scope(query)
    except SqlglotError as err:
        raise QueryError("NOT_SUPPORTED", f"the local Athena cannot resolve names: {err}") from None
    visible: dict[int, set[str]] = {}
    for scope in scopes:
        for found in scope.tables:
            visible[id(found)] = {name.lower() for name in scope.cte_sources}
    tables = []
    for found in query.find_all(exp.Table):
        if not found.name:
            continue
        names = visible.get(id(found))
        if names is None:
            raise QueryError("NOT_SUPPORTED", f"the local Athena cannot resolve {found.sql()}")
        if not found.db and not found.catalog and found.name.lower() in names:
            continue
        tables.append(found)
    return tables


class Engine:
    """Runs one query for the local Athena; ``cache_dir`` keeps downloaded objects;
    ``reader``: the query's credentials (None: unrestricted, as an administrator's)."""

    def __init__(
        self, s3: S3Client, glue: GlueClient, cache_dir: Path, reader: Reader | None = None
    ) -> None:
        self.s3 = s3
        self.glue = glue
        self.cache_dir = cache_dir
        self.reader = reader
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._stopped: str | None = None

    def interrupt(self, why: str = "the query was cancelled") -> None:
        """Stop the query now (another thread: StopQueryExecution, or the time limit)."""
        with self._lock:
            self._stopped = self._stopped or why
            if self._connection is not None:
                self._connection.interrupt()

    def _check(self, action: str, resource: str) -> None:
        if self.reader is not None and not self.reader.allows(action, resource):
            raise _denied(self.reader, action, resource)

    def _table(self, database: str, name: str) -> TableData:
        if self.reader is not None:
            glue = f"arn:aws:glue:{self.reader.region}:{self.reader.account}"
            self._check("glue:GetTable", f"{glue}:table/{database}/{name}")
        try:
            table = self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            raise QueryError(
                "TABLE_NOT_FOUND", f"Table 'awsdatacatalog.{database}.{name}' does not exist"
            ) from None
        return TableData(database, name, dict(table))

    def _fetch(self, data: TableData) -> None:
        """Download the table's objects (once per ETag)."""
        bucket, prefix = _location(data.glue)
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key, etag = item["Key"], item["ETag"].strip('"')
                if key.endswith("/") or item["Size"] == 0:
                    continue
                if self.reader is not None and not self.reader.allows(
                    "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"
                ):
                    raise QueryError(
                        "PERMISSION_DENIED", f"Permission denied on S3 path: s3://{bucket}/{key}"
                    )
                # The key's extension kept: DuckDB, as Athena, decompresses ``.gz`` by it.
                digest = hashlib.sha256(f"{bucket}/{key}/{etag}".encode()).hexdigest()
                path = self.cache_dir / (digest + _extension(key))
                if not path.exists():
                    partial = path.with_suffix(".part")
                    # One GET: moto answers each ranged GET by reading the whole object,
                    # so download_file's parallel ranges would be many times slower.
                    body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
                    with partial.open("wb") as out:
                        shutil.copyfileobj(body, out, CHUNK_BYTES)
                    partial.rename(path)
                data.files.append(path)
                data.size += int(item["Size"])

    def _view(self, con: duckdb.DuckDBPyConnection, data: TableData) -> None:
        storage = data.glue["StorageDescriptor"]
        columns = storage.get("Columns", [])
        # Timestamps written with an offset are read as the UTC instant they name.
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{data.database}"')
        serde = storage.get("SerdeInfo", {})
        if serde.get("SerializationLibrary") in JSON_SERDES:
            source = _json_source(data.files, columns)
        else:
            source = _csv_source(data, columns, serde.get("Parameters", {}))
        con.execute(f'CREATE VIEW "{data.database}"."{data.name}" AS {source}')

    def run(self, sql: str, database: str, cutoff: int | None, timeout: float) -> Outcome:
        """Run one query; ``cutoff`` is the workgroup's bytes-scanned limit, ``timeout``
        how many seconds DuckDB may run it.

        Raises:
            QueryError: as Athena fails the query (syntax, unknown table, access denied,
                cutoff, time limit, interrupted).
        """
        try:
            statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
        except ParseError as err:
            raise QueryError("SYNTAX_ERROR", str(err).splitlines()[0]) from None
        if len(statements) != 1 or not isinstance(statements[0], exp.Query):
            raise QueryError("NOT_SUPPORTED", "the local Athena runs one SELECT query at a time")
        query = statements[0]
        tables: dict[tuple[str, str], TableData] = {}
        for found in tables_read(query):
            if found.catalog and found.catalog.lower() != CATALOG:
                raise QueryError("CATALOG_NOT_FOUND", f"Catalog '{found.catalog}' does not exist")
            key = ((found.db or database).lower(), found.name.lower())
            if key not in tables:
                tables[key] = self._table(*key)
            found.set("catalog", None)
            found.set("db", exp.to_identifier(key[0], quoted=True))
            found.set("this", exp.to_identifier(key[1], quoted=True))
        for data in tables.values():
            self._fetch(data)
        scanned = sum(t.size for t in tables.values())
        if cutoff is not None and scanned > cutoff:
            raise QueryError(
                "EXCEEDED_BYTES_SCANNED_LIMIT",
                f"Bytes scanned limit was exceeded: the query would scan {scanned} bytes, "
                f"the workgroup allows {cutoff}",
            )
        con = duckdb.connect()
        with self._lock:
            self._connection = con
        limit = f"Query exceeded the local time limit of {timeout:g} s"
        timer = threading.Timer(timeout, self.interrupt, (limit,))
        timer.start()
        try:
            for data in tables.values():
                self._view(con, data)
            columns: list[tuple[str, str]] = []
            rows: list[list[str | None]] = []
            try:
                if self._stopped is None:
                    cursor = con.execute(query.sql(dialect="duckdb"))
                    columns = [(d[0], athena_type(str(d[1]))) for d in cursor.description or []]
                    rows = [[as_text(v) for v in row] for row in cursor.fetchall()]
            except duckdb.Error as err:
                if self._stopped is None:
                    raise QueryError("GENERIC_USER_ERROR", str(err).splitlines()[0]) from None
            if self._stopped is not None:
                raise QueryError("EXCEEDED_TIME_LIMIT", self._stopped)
        finally:
            timer.cancel()
            with self._lock:
                self._connection = None
            con.close()
        return Outcome(columns, rows, scanned)
