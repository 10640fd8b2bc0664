"""Run one query through Athena as the functions must: with credentials that can read only
the caller's dataset (``query_access.py``), in the stack's workgroup (its enforced result
location, encryption and bytes-scanned cutoff apply), polled with backoff until the
route's time is up (the stack's timeout, or less when the function has less time left:
the query is stopped so it does not run on after the reply), results paged up to the
route's row limit. The same boto3 calls are answered by AWS or, on the local stack, by
DuckDB over the same objects."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.exceptions import QueryFailedError, QueryTimeoutError
from chalicelib.csvchat.models import QueryLimits
from chalicelib.csvchat.query_access import ScopedAthena
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient

FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.5
PAGE_ROWS = 1000  # GetQueryResults' maximum
# AthenaError.ErrorType of a permission error, and of one on S3 (Athena's error catalog).
PERMISSION_ERRORS = (1500, 1501)
# What a route keeps of its function's time to stop the query and answer.
REPLY_MARGIN_SECONDS = 2.0


@dataclass(frozen=True)
class QueryRun:
    athena: ScopedAthena
    database: str
    workgroup: str
    limits: QueryLimits
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    # When the route must have its answer (``clock`` time), from the function's remaining
    # time; None: only the stack's timeout applies.
    deadline: float | None = None

    def until(self, remaining_ms: int | None) -> QueryRun:
        """This run, ending ``REPLY_MARGIN_SECONDS`` before the function's time is up
        (``remaining_ms``: Lambda's ``get_remaining_time_in_millis()``; None: unknown)."""
        if remaining_ms is None:
            return self
        return replace(self, deadline=self.clock() + remaining_ms / 1000 - REPLY_MARGIN_SECONDS)

    def timeout(self) -> float:
        """Seconds a query started now may run."""
        limit = self.limits.timeout_seconds
        return limit if self.deadline is None else min(limit, self.deadline - self.clock())


@dataclass(frozen=True)
class DatasetTable:
    """Whose dataset a query reads: its credentials are scoped to it."""

    owner: str
    dataset_id: str
    table: str


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


def _wait(run: QueryRun, athena: AthenaClient, query_id: str, timeout: float) -> dict[str, Any]:
    deadline, delay = run.clock() + timeout, FIRST_POLL_SECONDS
    while True:
        execution: dict[str, Any] = dict(
            athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        )
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        if run.clock() >= deadline:
            athena.stop_query_execution(QueryExecutionId=query_id)
            raise QueryTimeoutError(f"the query took longer than {timeout:.3g} s and was stopped")
        run.sleep(min(delay, max(deadline - run.clock(), 0)))
        delay = min(delay * 2, MAX_POLL_SECONDS)


def _reason(execution: dict[str, Any], database: str) -> str:
    """Why Athena failed the query, for the person who asked: a permission error (the
    query reached past the dataset its session may read) says so without Athena's text,
    which names roles, accounts and other tables."""
    status = execution["Status"]
    if status.get("AthenaError", {}).get("ErrorType") in PERMISSION_ERRORS:
        return "the query may read only this dataset's table"
    reason = str(status.get("StateChangeReason") or "the query failed")
    return reason.replace(f"awsdatacatalog.{database}.", "").replace(f"{database}.", "")


def _rows(run: QueryRun, athena: AthenaClient, query_id: str, result: QueryResult) -> None:
    token: str | None = None
    header = True
    while True:
        request: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": PAGE_ROWS}
        if token:
            request["NextToken"] = token
        page = athena.get_query_results(**request)
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


def run_query(run: QueryRun, dataset: DatasetTable, sql: str) -> QueryResult:
    """Run ``sql`` (already checked, ``guard.py``) over ``dataset`` with credentials that
    can read only it, and return its first rows.

    Raises:
        QueryFailedError: Athena failed the query (the SQL, access denied to anything but
            the dataset, or the bytes-scanned cutoff).
        QueryTimeoutError: it ran longer than the limits or the function's time allow; it
            was stopped (or, with no time left, never started).
        TransientError: Athena or STS failed after retries.
    """
    started, timeout = run.clock(), run.timeout()
    if timeout <= 0:
        raise QueryTimeoutError("no time was left to run the query")
    athena = run.athena.client(dataset.owner, dataset.dataset_id, dataset.table)
    try:
        query_id = athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": run.database},
            WorkGroup=run.workgroup,
        )["QueryExecutionId"]
        execution = _wait(run, athena, query_id, timeout)
        if execution["Status"]["State"] != "SUCCEEDED":
            raise QueryFailedError(_reason(execution, run.database))
        result = QueryResult(query_id, [])
        _rows(run, athena, query_id, result)
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"Athena failed: {err}") from err
    result.scanned_bytes = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
    result.elapsed_ms = round((run.clock() - started) * 1000)
    return result
