"""The local Athena's engine: one query in Athena's SQL (Trino's dialect) run by DuckDB over
the Glue tables it names, whose data is read from their S3 location in the local AWS
endpoint (moto) through the S3 API.

Each table becomes a DuckDB view over ``read_csv`` of the objects under its location, with
the dialect and encoding its SerDe declares, every column read as text and cast to the
Glue type with ``TRY_CAST`` (a value that does not fit is NULL, as Athena's CSV SerDe reads
it). sqlglot translates the query to DuckDB's dialect. What Athena would scan (every object
of every table) is measured before anything runs, so the workgroup's cutoff is honoured.
Objects are downloaded once per ETag into a cache folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

CHUNK_BYTES = 8 << 20
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


class QueryError(Exception):
    """A query Athena would fail: ``code`` is its error name (``TABLE_NOT_FOUND``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


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


def _location(table: dict[str, Any]) -> tuple[str, str]:
    where = str(table["StorageDescriptor"]["Location"]).removeprefix("s3://")
    bucket, _, prefix = where.partition("/")
    return bucket, prefix


class Engine:
    """Runs queries for the local Athena; ``cache_dir`` keeps downloaded objects."""

    def __init__(self, s3: S3Client, glue: GlueClient, cache_dir: Path) -> None:
        self.s3 = s3
        self.glue = glue
        self.cache_dir = cache_dir

    def _table(self, database: str, name: str) -> TableData:
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
                path = (
                    self.cache_dir / hashlib.sha256(f"{bucket}/{key}/{etag}".encode()).hexdigest()
                )
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
        serde = storage.get("SerdeInfo", {}).get("Parameters", {})
        skip = int(data.glue.get("Parameters", {}).get("skip.header.line.count", "0"))
        quote = serde.get("quoteChar", '"') if "separatorChar" in serde else ""
        delimiter = serde.get("separatorChar") or serde.get("field.delim") or ","
        encoding = _ENCODINGS.get(serde.get("serialization.encoding", "UTF-8"), "utf-8")
        positional = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns)))
        files = ", ".join(_literal(str(p)) for p in data.files)
        options = (
            f"delim={_literal(delimiter)}, quote={_literal(quote)}, escape={_literal(quote)}, "
            f"header=false, skip={skip}, columns={{{positional}}}, auto_detect=false, "
            f"null_padding=true, strict_mode=false, encoding={_literal(encoding)}"
        )
        casts = ", ".join(
            f'TRY_CAST(c{i} AS {_DUCK_TYPES.get(c["Type"].lower(), "VARCHAR")}) AS "{c["Name"]}"'
            for i, c in enumerate(columns)
        )
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{data.database}"')
        source = f"read_csv([{files}], {options})"
        if not data.files:  # an empty location: an empty table
            nulls = ", ".join(f"NULL::VARCHAR AS c{i}" for i in range(len(columns)))
            source = f"(SELECT {nulls} LIMIT 0)"
        con.execute(f'CREATE VIEW "{data.database}"."{data.name}" AS SELECT {casts} FROM {source}')

    def run(self, sql: str, database: str, cutoff: int | None) -> Outcome:
        """Run one query; ``cutoff`` is the workgroup's bytes-scanned limit.

        Raises:
            QueryError: as Athena fails the query (syntax, unknown table, cutoff).
        """
        try:
            statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
        except ParseError as err:
            raise QueryError("SYNTAX_ERROR", str(err).splitlines()[0]) from None
        if len(statements) != 1 or not isinstance(statements[0], exp.Query):
            raise QueryError("NOT_SUPPORTED", "the local Athena runs one SELECT query at a time")
        query = statements[0]
        ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
        tables: dict[tuple[str, str], TableData] = {}
        for found in query.find_all(exp.Table):
            if not found.name or (found.name in ctes and not found.db):
                continue
            key = (found.db or database, found.name)
            if key not in tables:
                tables[key] = self._table(*key)
            found.set("catalog", None)
            found.set("db", exp.to_identifier(key[0], quoted=True))
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
        try:
            for data in tables.values():
                self._view(con, data)
            try:
                cursor = con.execute(query.sql(dialect="duckdb"))
            except duckdb.Error as err:
                raise QueryError("GENERIC_USER_ERROR", str(err).splitlines()[0]) from None
            columns = [(d[0], athena_type(str(d[1]))) for d in cursor.description or []]
            rows = [[as_text(v) for v in row] for row in cursor.fetchall()]
        finally:
            con.close()
        return Outcome(columns, rows, scanned)
