"""Run one query through Athena as the functions must: in the stack's workgroup (its
enforced result location, encryption and bytes-scanned cutoff apply), polled with backoff,
results paged up to the route's row limit. The same boto3 calls are answered by AWS or, on
the local stack, by DuckDB over the same objects."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.exceptions import QueryFailedError, QueryTimeoutError
from chalicelib.csvchat.models import QueryLimits
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient

FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.5
PAGE_ROWS = 1000  # GetQueryResults' maximum


@dataclass(frozen=True)
class QueryRun:
    athena: AthenaClient
    database: str
    workgroup: str
    limits: QueryLimits
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


@dataclass
class QueryResult:
    query_id: str
    columns: list[dict[str, str]]
    rows: list[list[str | None]] = field(default_factory=list)
    truncated: bool = False
    scanned_bytes: int = 0
    elapsed_ms: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "columns": self.columns,
            "rows": self.rows,
            "truncated": self.truncated,
            "scanned_bytes": self.scanned_bytes,
            "elapsed_ms": self.elapsed_ms,
        }


def _wait(run: QueryRun, query_id: str) -> dict[str, Any]:
    deadline, delay = run.clock() + run.limits.timeout_seconds, FIRST_POLL_SECONDS
    while True:
        execution: dict[str, Any] = dict(
            run.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        )
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        if run.clock() >= deadline:
            run.athena.stop_query_execution(QueryExecutionId=query_id)
            raise QueryTimeoutError(
                f"the query took longer than {run.limits.timeout_seconds:g} s and was stopped"
            )
        run.sleep(delay)
        delay = min(delay * 2, MAX_POLL_SECONDS)


def _reason(execution: dict[str, Any], database: str) -> str:
    reason = str(execution["Status"].get("StateChangeReason") or "the query failed")
    return reason.replace(f"awsdatacatalog.{database}.", "").replace(f"{database}.", "")


def _rows(run: QueryRun, query_id: str, result: QueryResult) -> None:
    token: str | None = None
    header = True
    while True:
        request: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": PAGE_ROWS}
        if token:
            request["NextToken"] = token
        page = run.athena.get_query_results(**request)
        if not result.columns:
            result.columns = [
                {"name": c["Name"], "type": c["Type"]}
                for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            ]
        for row in page["ResultSet"]["Rows"]:
            if header:  # a SELECT's first row repeats the column names
                header = False
                continue
            if len(result.rows) == run.limits.max_rows:
                result.truncated = True
                return
            result.rows.append([d.get("VarCharValue") for d in row["Data"]])
        token = page.get("NextToken")
        if not token:
            return


def run_query(run: QueryRun, sql: str) -> QueryResult:
    """Run ``sql`` (already checked, ``guard.py``) and return its first rows.

    Raises:
        QueryFailedError: Athena failed the query (the SQL, or the bytes-scanned cutoff).
        QueryTimeoutError: it ran longer than the limits allow; it was stopped.
        TransientError: Athena failed after retries.
    """
    started = run.clock()
    try:
        query_id = run.athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": run.database},
            WorkGroup=run.workgroup,
        )["QueryExecutionId"]
        execution = _wait(run, query_id)
        if execution["Status"]["State"] != "SUCCEEDED":
            raise QueryFailedError(_reason(execution, run.database))
        result = QueryResult(query_id, [])
        _rows(run, query_id, result)
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"Athena failed: {err}") from err
    result.scanned_bytes = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
    result.elapsed_ms = round((run.clock() - started) * 1000)
    return result
