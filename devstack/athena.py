"""The local Athena: Athena's query API answered on the local AWS endpoint, in front of
moto (whose Athena records queries but runs none). StartQueryExecution,
GetQueryExecution, GetQueryResults and StopQueryExecution (``X-Amz-Target:
AmazonAthena.*``) are answered here; everything else (workgroups, named queries) by moto.

A query runs in a thread, as in Athena, by DuckDB over the Glue tables' S3 objects
(``athena_sql.py``). The workgroup is moto's: when it enforces its configuration, its result
location and encryption win over the request's; its bytes-scanned cutoff cancels a query
that would scan more. The result CSV is written where Athena writes it
(``<location><query id>.csv``) and GetQueryResults pages the same rows, the column names
first, as Athena does. The app's code is the same for AWS and here.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from devstack.athena_sql import Engine, Outcome, QueryError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_PREFIX = "AmazonAthena."
MAX_RESULTS = 1000


class AthenaRequestError(Exception):
    """Answered as Athena's ``InvalidRequestException`` (HTTP 400)."""


@dataclass
class Execution:
    query_id: str
    sql: str
    database: str
    workgroup: str
    output: str
    encryption: dict[str, Any] | None
    cutoff: int | None
    state: str = "QUEUED"
    reason: str | None = None
    error_code: str | None = None
    submitted: float = field(default_factory=time.time)
    completed: float | None = None
    outcome: Outcome | None = None

    def describe(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = {
                "ErrorCategory": 2,
                "ErrorType": 1000,
                "Retryable": False,
                "ErrorMessage": self.reason,
            }
        elapsed = round(((self.completed or time.time()) - self.submitted) * 1000)
        result: dict[str, Any] = {"OutputLocation": self.output}
        if self.encryption:
            result["EncryptionConfiguration"] = self.encryption
        return {
            "QueryExecutionId": self.query_id,
            "Query": self.sql,
            "StatementType": "DML",
            "ResultConfiguration": result,
            "QueryExecutionContext": {"Database": self.database, "Catalog": "AwsDataCatalog"},
            "Status": status,
            "Statistics": {
                "EngineExecutionTimeInMillis": elapsed,
                "DataScannedInBytes": self.outcome.scanned_bytes if self.outcome else 0,
                "TotalExecutionTimeInMillis": elapsed,
                "QueryQueueTimeInMillis": 0,
            },
            "WorkGroup": self.workgroup,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }


def result_csv(outcome: Outcome) -> bytes:
    """Athena's result file: a header, every value quoted, NULL as nothing."""
    out = io.StringIO()
    out.write(",".join(f'"{name}"' for name, _ in outcome.columns) + "\n")
    for row in outcome.rows:
        out.write(
            ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in row) + "\n"
        )
    return out.getvalue().encode()


class LocalAthena:
    """WSGI middleware; ``endpoint`` is the local AWS endpoint's URL (for S3, Glue and the
    workgroups, through their APIs)."""

    def __init__(self, aws: WSGIApplication, endpoint: str, region: Callable[[], str]) -> None:
        self.aws = aws
        self.endpoint = endpoint
        self.region = region
        self.executions: dict[str, Execution] = {}
        self.cache_dir = Path(tempfile.mkdtemp(prefix="local-athena-"))
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        """One client per service, made on first use (boto3's clients are thread-safe)."""
        with self._lock:
            if service not in self._clients:
                session: Any = boto3.session.Session()
                self._clients[service] = session.client(
                    service,
                    endpoint_url=self.endpoint,
                    region_name=self.region(),
                    aws_access_key_id="local",
                    aws_secret_access_key="local",
                )
            return self._clients[service]

    def close(self) -> None:
        shutil.rmtree(self.cache_dir, ignore_errors=True)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        handler = (
            getattr(self, f"_{target.removeprefix(_PREFIX)}", None)
            if target.startswith(_PREFIX)
            else None
        )
        if handler is None:
            return self.aws(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            status, answer = "200 OK", handler(json.loads(body or b"{}"))
        except AthenaRequestError as err:
            status, answer = (
                "400 Bad Request",
                {"__type": "InvalidRequestException", "Message": str(err)},
            )
        payload = json.dumps(answer).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("Content-Length", str(len(payload))),
                ("x-amzn-RequestId", str(uuid.uuid4())),
            ],
        )
        return [payload]

    def _execution(self, request: dict[str, Any]) -> Execution:
        with self._lock:
            found = self.executions.get(str(request.get("QueryExecutionId")))
        if found is None:
            raise AthenaRequestError(
                f"QueryExecution {request.get('QueryExecutionId')} was not found"
            )
        return found

    def _StartQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("WorkGroup") or "primary"
        try:
            workgroup = self._client("athena").get_work_group(WorkGroup=name)["WorkGroup"]
        except Exception as err:  # moto's answer for an unknown workgroup, whatever it is
            raise AthenaRequestError(f"WorkGroup {name} is not found") from err
        configuration = workgroup.get("Configuration", {})
        given = request.get("ResultConfiguration") or {}
        chosen = configuration.get("ResultConfiguration", {})
        if not configuration.get("EnforceWorkGroupConfiguration"):
            chosen = {**chosen, **given}
        location = chosen.get("OutputLocation")
        if not location:
            raise AthenaRequestError(
                "No output location provided. An output location is required either through "
                "the Workgroup result configuration setting or as an API input."
            )
        query_id = str(uuid.uuid4())
        execution = Execution(
            query_id=query_id,
            sql=str(request.get("QueryString", "")),
            database=(request.get("QueryExecutionContext") or {}).get("Database") or "default",
            workgroup=name,
            output=f"{location.rstrip('/')}/{query_id}.csv",
            encryption=chosen.get("EncryptionConfiguration"),
            cutoff=configuration.get("BytesScannedCutoffPerQuery"),
        )
        with self._lock:
            self.executions[query_id] = execution
        threading.Thread(target=self._run, args=(execution,), daemon=True).start()
        return {"QueryExecutionId": query_id}

    def _run(self, execution: Execution) -> None:
        execution.state = "RUNNING"
        engine = Engine(self._client("s3"), self._client("glue"), self.cache_dir)
        try:
            outcome = engine.run(execution.sql, execution.database, execution.cutoff)
            bucket, _, key = execution.output.removeprefix("s3://").partition("/")
            extra = {"ServerSideEncryption": "AES256"} if execution.encryption else {}
            self._client("s3").put_object(Bucket=bucket, Key=key, Body=result_csv(outcome), **extra)
        except QueryError as err:
            execution.reason, execution.error_code = str(err), err.code
            if execution.state == "RUNNING":
                execution.state = "FAILED"
        except Exception as err:  # the engine's own failure: told like Athena's internal error
            execution.reason = f"INTERNAL_ERROR_QUERY_ENGINE: {err}"
            if execution.state == "RUNNING":
                execution.state = "FAILED"
        else:
            execution.outcome = outcome
            if execution.state == "RUNNING":
                execution.state = "SUCCEEDED"
        execution.completed = time.time()

    def _GetQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"QueryExecution": self._execution(request).describe()}

    def _StopQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        execution = self._execution(request)
        if execution.state in ("QUEUED", "RUNNING"):
            execution.state, execution.completed = "CANCELLED", time.time()
            execution.reason = "Query cancelled by user"
        return {}

    def _GetQueryResults(self, request: dict[str, Any]) -> dict[str, Any]:
        execution = self._execution(request)
        if execution.state != "SUCCEEDED" or execution.outcome is None:
            raise AthenaRequestError(
                f"Query has not yet finished. Current state: {execution.state}"
            )
        outcome = execution.outcome
        limit = min(int(request.get("MaxResults") or MAX_RESULTS), MAX_RESULTS)
        start = int(request.get("NextToken") or 0)
        header = [[name for name, _ in outcome.columns]]
        rows = (header + outcome.rows)[start : start + limit]
        answer: dict[str, Any] = {
            "UpdateCount": 0,
            "ResultSet": {
                "Rows": [
                    {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                    for row in rows
                ],
                "ResultSetMetadata": {
                    "ColumnInfo": [
                        {
                            "CatalogName": "hive",
                            "SchemaName": "",
                            "TableName": "",
                            "Name": name,
                            "Label": name,
                            "Type": kind,
                            "Precision": 0,
                            "Scale": 0,
                            "Nullable": "UNKNOWN",
                            "CaseSensitive": kind == "varchar",
                        }
                        for name, kind in outcome.columns
                    ]
                },
            },
        }
        if start + limit < len(outcome.rows) + 1:
            answer["NextToken"] = str(start + limit)
        return answer
