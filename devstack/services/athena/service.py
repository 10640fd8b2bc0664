"""The local Athena: Athena's query API answered on the local AWS endpoint, in front of
moto (whose Athena records queries but runs none). StartQueryExecution,
GetQueryExecution, GetQueryResults and StopQueryExecution (``X-Amz-Target:
AmazonAthena.*``) are answered here; everything else (workgroups, named queries) by moto.

A query runs in a thread, as in Athena, by DuckDB over the Glue tables' S3 objects
(``sql.py``). The workgroup is moto's: when it enforces its configuration, its result
location and encryption win over the request's; its bytes-scanned cutoff cancels a query
that would scan more. The result CSV is written where Athena writes it
(``<location><query id>.csv``) and GetQueryResults pages the same rows, the column names
first, as Athena does. The app's code is the same for AWS and here.

moto enforces no IAM, so the engine reads only what the query's credentials may read, as
Athena does: the request's access key is looked up in moto's STS; for an assumed role, every
policy of the session must allow each ``glue:GetTable`` and ``s3:GetObject`` (the session
policy given to AssumeRole, and the role's own policies when moto holds the role, as it
does not for roles the Pulumi program declares). Any other key reads everything, as an
administrator's would. A query runs for at most ``timeout_seconds`` (Athena's DML limit is
30 minutes; here less, so a runaway query does not hold a core), and StopQueryExecution
interrupts it.
"""

from __future__ import annotations

import io
import json
import re
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
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from devstack.services.athena.sql import Engine, Outcome, Reader

_PREFIX = "AmazonAthena."
MAX_RESULTS = 1000
QUERY_TIMEOUT_SECONDS = 120.0
# Athena's AthenaError.ErrorType for the engine's error codes (its error catalog); any
# other failure is 1000, "User error".
_ERROR_TYPES = {
    "SYNTAX_ERROR": 1006,
    "TABLE_NOT_FOUND": 1110,
    "CATALOG_NOT_FOUND": 1110,
    "NOT_SUPPORTED": 1200,
    "EXCEEDED_BYTES_SCANNED_LIMIT": 1008,
    "EXCEEDED_TIME_LIMIT": 1011,
    "ACCESS_DENIED": 1500,
    "PERMISSION_DENIED": 1501,
}
_ACCESS_KEY = re.compile(r"Credential=([A-Z0-9]+)/")


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
    reader: Reader | None = None
    submitted: float = field(default_factory=time.time)
    completed: float | None = None
    outcome: Outcome | None = None
    engine: Engine | None = None

    def describe(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = {
                "ErrorCategory": 2,
                "ErrorType": _ERROR_TYPES.get(self.error_code or "", 1000),
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


class _RolePolicies:
    """A role's own policies: a read is allowed when one allows it and none denies it."""

    def __init__(self, policies: list[IAMPolicy]) -> None:
        self.policies = policies

    def is_action_permitted(self, action: str, resource: str) -> PermissionResult:
        results = [p.is_action_permitted(action, resource) for p in self.policies]
        if PermissionResult.DENIED in results:
            return PermissionResult.DENIED
        if PermissionResult.PERMITTED in results:
            return PermissionResult.PERMITTED
        return PermissionResult.NEUTRAL


def _policies(assumed: Any) -> list[IAMPolicy | _RolePolicies]:
    """Every policy that must allow a read by ``assumed`` (moto's ``AssumedRole``)."""
    layers: list[IAMPolicy | _RolePolicies] = [IAMPolicy(assumed.policy)] if assumed.policy else []
    try:
        role = iam_backends[assumed.account_id][assumed.partition].get_role_by_arn(assumed.role_arn)
    except Exception:  # moto's "no such role", whatever its class: no policies of its own
        return layers
    own = [IAMPolicy(document) for document in role.policies.values()]
    own += [IAMPolicy(policy) for policy in role.managed_policies.values()]
    if own:
        layers.append(_RolePolicies(own))
    return layers


def reader_of(authorization: str, region: str) -> Reader | None:
    """What the request's credentials may read: None for keys that are not an assumed
    role's (unrestricted) or an assumed role with no policy moto can evaluate."""
    found = _ACCESS_KEY.search(authorization)
    if found is None:
        return None
    key = found.group(1)
    account = get_account_id_from(key)
    assumed = None
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        assumed = sts_backends[account][partition].get_assumed_role_from_access_key(key)
        if assumed is not None:
            break
    if assumed is None:
        return None
    layers = _policies(assumed)
    if not layers:
        return None

    def allows(action: str, resource: str) -> bool:
        return all(
            layer.is_action_permitted(action, resource) == PermissionResult.PERMITTED
            for layer in layers
        )

    from devstack.services.athena.sql import Reader  # DuckDB and sqlglot load for a query

    return Reader(principal=assumed.arn, allows=allows, region=region, account=account)


class LocalAthena:
    """WSGI middleware; ``endpoint`` is the local AWS endpoint's URL (for S3, Glue and the
    workgroups, through their APIs)."""

    def __init__(
        self,
        aws: WSGIApplication,
        endpoint: str,
        region: Callable[[], str],
        timeout_seconds: float = QUERY_TIMEOUT_SECONDS,
    ) -> None:
        self.aws = aws
        self.endpoint = endpoint
        self.region = region
        self.timeout_seconds = timeout_seconds
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
        request = json.loads(body or b"{}")
        # Whose credentials signed it: a query reads with them (StartQueryExecution).
        request["__authorization"] = str(environ.get("HTTP_AUTHORIZATION", ""))
        try:
            status, answer = "200 OK", handler(request)
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
            reader=reader_of(request["__authorization"], self.region()),
        )
        with self._lock:
            self.executions[query_id] = execution
        threading.Thread(target=self._run, args=(execution,), daemon=True).start()
        return {"QueryExecutionId": query_id}

    def _run(self, execution: Execution) -> None:
        from devstack.services.athena.sql import Engine, QueryError  # loaded for a first query

        engine = Engine(self._client("s3"), self._client("glue"), self.cache_dir, execution.reader)
        with self._lock:
            if execution.state != "QUEUED":  # stopped before it started
                return
            execution.state, execution.engine = "RUNNING", engine
        try:
            outcome = engine.run(
                execution.sql, execution.database, execution.cutoff, self.timeout_seconds
            )
            bucket, _, key = execution.output.removeprefix("s3://").partition("/")
            extra = {"ServerSideEncryption": "AES256"} if execution.encryption else {}
            self._client("s3").put_object(Bucket=bucket, Key=key, Body=result_csv(outcome), **extra)
        except QueryError as err:
            self._finish(execution, "FAILED", reason=str(err), error_code=err.code)
        except Exception as err:  # the engine's own failure: told like Athena's internal error
            self._finish(execution, "FAILED", reason=f"INTERNAL_ERROR_QUERY_ENGINE: {err}")
        else:
            self._finish(execution, "SUCCEEDED", outcome=outcome)

    def _finish(self, execution: Execution, state: str, **outcome: Any) -> None:
        """The execution's end, unless StopQueryExecution ended it first."""
        with self._lock:
            if execution.state == "RUNNING":
                execution.state, execution.completed = state, time.time()
                for name, value in outcome.items():
                    setattr(execution, name, value)
            execution.engine = None

    def _GetQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"QueryExecution": self._execution(request).describe()}

    def _StopQueryExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        execution = self._execution(request)
        with self._lock:
            if execution.state in ("QUEUED", "RUNNING"):
                execution.state, execution.completed = "CANCELLED", time.time()
                execution.reason = "Query cancelled by user"
                if execution.engine is not None:
                    execution.engine.interrupt()
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
