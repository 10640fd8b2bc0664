"""csvchat on a real local AWS endpoint, in-process: the Pulumi program provisions the dev
stack in moto behind the local Athena, the app is served by the local gateway (which checks
Cognito ID tokens as API Gateway does), files go up through the presigned requests the API
returns, and the processing queue is consumed by the app's own handler. One stack for the
module (issue 14's checks: isolation, tokens, awkward CSVs, Athena through boto3)."""

from __future__ import annotations

import base64
import codecs
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.csvchat import names
from devstack.aws_server import LocalAwsServer
from devstack.declared import api_authorizers
from devstack.mocks import MotoMocks
from devstack.outside import RealServices
from devstack.processes import free_port
from devstack.profiles import SeedContext
from devstack.profiles.csvchat import DEMO_USERS, PROFILE, create_user, pool_ids, seed
from devstack.program import RecordingMocks, run_program
from devstack.services.apigateway.gateway import make_server
from devstack.services.awslambda.service import FunctionHosts
from shared import aws
from shared.names import physical
from tests.conftest import REGION

pytestmark = pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported")
STACK = "dev"
MIB = 1 << 20
# Small parts, so a 6 MB file is a multipart upload (S3's minimum part is 5 MB).
SETTINGS = {
    "serverless-fleet:csvchat": {
        "uploads": {"multipartThresholdMb": 5, "partSizeMb": 5},
        "quota": {"datasets": 40},
    }
}


@dataclass
class Stack:
    endpoint: str
    api: str
    mocks: RecordingMocks
    pool_id: str
    client_id: str

    def client(self, service: str) -> Any:
        # A service named at run time: no one overload of boto3's stubs fits.
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def stack(built_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    port = free_port()
    server = LocalAwsServer(
        "127.0.0.1",
        port,
        FunctionHosts("127.0.0.1", tmp_path_factory.mktemp("logs")),
        models=PROFILE.models,
    )
    endpoint = server.url
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        server.start()
        aws.reset_clients()
        mocks = run_program(STACK, MotoMocks(REGION), SETTINGS, systems=("csvchat",))
        seed(SeedContext(STACK, RealServices()))
        for name, value in mocks.function_environment(
            physical("csvchat-api-handler", STACK)
        ).items():
            patch.setenv(name, value)
        from chalicelib.csvchat import wiring

        wiring.reset()
        gateway_port = free_port()
        gateway = make_server(
            "csvchat",
            "127.0.0.1",
            gateway_port,
            "unused-key",
            api_authorizers(mocks, "csvchat"),
            endpoint,
        )
        thread = threading.Thread(target=gateway.serve_forever, daemon=True)
        thread.start()
        pool_id, client_id = pool_ids(STACK)
        yield Stack(endpoint, f"http://127.0.0.1:{gateway_port}", mocks, pool_id, client_id)
        gateway.server.shutdown()
        server.stop()
        wiring.reset()
    aws.reset_clients()


def sign_in(stack: Stack, username: str, password: str, client_id: str | None = None) -> str:
    answer = stack.client("cognito-idp").initiate_auth(
        ClientId=client_id or stack.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


@pytest.fixture(scope="module")
def alice(stack: Stack) -> str:
    return sign_in(stack, **DEMO_USERS[0])


@pytest.fixture(scope="module")
def bob(stack: Stack) -> str:
    return sign_in(stack, **DEMO_USERS[1])


def call(
    stack: Stack, token: str | None, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": token} if token else {}
    response = requests.request(
        method, f"{stack.api}{path}", headers=headers, json=body, timeout=30
    )
    return response.status_code, response.json()


def process_uploads(stack: Stack) -> None:
    """What the processing function's worker does: every message on the queue, handled."""
    from chalicelib.csvchat import wiring
    from chalicelib.csvchat.processing import process_message

    sqs = stack.client("sqs")
    url = stack.mocks.named(
        "aws:sqs/queue:Queue", physical(names.UPLOAD_EVENTS_QUEUE, STACK)
    ).outputs["url"]
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        for message in messages:
            process_message(wiring.processing_deps(), message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def upload(stack: Stack, token: str, content: bytes, filename: str = "data.csv") -> dict[str, Any]:
    """Upload through the API's presigned request, process it; returns the dataset."""
    status, created = call(
        stack,
        token,
        "POST",
        "/uploads",
        {"filename": filename, "size": len(content), "content_type": "text/csv"},
    )
    assert status == 201, created
    form = created["upload"]
    if form["method"] == "POST":
        sent = requests.post(
            form["url"], data=form["fields"], files={"file": (filename, content)}, timeout=60
        )
        assert sent.status_code in (200, 204), sent.text
    else:
        parts = []
        for part in form["parts"]:
            start = (part["part_number"] - 1) * form["part_size"]
            put = requests.put(
                part["url"], data=content[start : start + form["part_size"]], timeout=60
            )
            assert put.status_code == 200, put.text
            parts.append({"part_number": part["part_number"], "etag": put.headers["ETag"]})
        status, done = call(
            stack, token, "POST", f"/uploads/{created['dataset_id']}/complete", {"parts": parts}
        )
        assert status == 200, done
    process_uploads(stack)
    status, dataset = call(stack, token, "GET", f"/datasets/{created['dataset_id']}")
    assert status == 200, dataset
    return dict(dataset)


SALES = (
    b"region,price,units,sold_on\n"
    b"north,1.5,3,2026-01-02\nsouth,2.25,1,2026-02-03\nnorth,3,2,2026-03-04\n"
)


@pytest.fixture(scope="module")
def sales(stack: Stack, alice: str) -> dict[str, Any]:
    return upload(stack, alice, SALES, "sales.csv")


# Users: every route behind the pool; each user sees only their own datasets.


def test_a_dataset_becomes_ready_with_its_columns(sales: dict[str, Any]) -> None:
    assert sales["status"] == "ready"
    assert [(c["name"], c["type"]) for c in sales["columns"]] == [
        ("region", "string"),
        ("price", "double"),
        ("units", "bigint"),
        ("sold_on", "date"),
    ]
    assert sales["row_estimate"] == 3
    assert sales["table"] == f"ds_{sales['dataset_id']}"


def test_neither_user_can_list_read_delete_or_query_the_others_dataset(
    stack: Stack, alice: str, bob: str, sales: dict[str, Any]
) -> None:
    dataset = sales["dataset_id"]
    assert [d["dataset_id"] for d in call(stack, bob, "GET", "/datasets")[1]["items"]] == []
    assert dataset in [d["dataset_id"] for d in call(stack, alice, "GET", "/datasets")[1]["items"]]
    for method, path, body in (
        ("GET", f"/datasets/{dataset}", None),
        ("DELETE", f"/datasets/{dataset}", None),
        ("POST", f"/datasets/{dataset}/query", {"sql": f"SELECT * FROM {sales['table']}"}),
    ):
        status, answer = call(stack, bob, method, path, body)
        assert (status, answer["error_code"]) == (404, "DATASET_NOT_FOUND"), (method, path)
    assert call(stack, alice, "GET", f"/datasets/{dataset}")[0] == 200


def test_a_query_may_read_only_its_own_datasets_table(
    stack: Stack, alice: str, bob: str, sales: dict[str, Any]
) -> None:
    own = upload(stack, bob, b"a,b\n1,2\n", "mine.csv")
    status, answer = call(
        stack,
        bob,
        "POST",
        f"/datasets/{own['dataset_id']}/query",
        {"sql": f"SELECT * FROM {own['table']} JOIN {sales['table']} ON true"},
    )
    assert (status, answer["error_code"]) == (400, "QUERY_REFUSED")
    status, answer = call(
        stack, bob, "POST", f"/datasets/{own['dataset_id']}/query", {"sql": "DROP TABLE x"}
    )
    assert (status, answer["error_code"]) == (400, "QUERY_REFUSED")


def test_a_query_runs_through_the_local_athena(
    stack: Stack, alice: str, sales: dict[str, Any]
) -> None:
    sql = (
        f"SELECT region, sum(price) AS total, count(*) AS n FROM {sales['table']} "
        "GROUP BY region ORDER BY region"
    )
    status, answer = call(
        stack, alice, "POST", f"/datasets/{sales['dataset_id']}/query", {"sql": sql}
    )
    assert status == 200, answer
    assert answer["columns"] == [
        {"name": "region", "type": "varchar"},
        {"name": "total", "type": "double"},
        {"name": "n", "type": "bigint"},
    ]
    assert answer["rows"] == [["north", "4.5", "2"], ["south", "2.25", "1"]]
    # Athena scans the table's location: the normalised copy, not the upload.
    bucket = stack.mocks.stack_outputs["csvchat_uploads_bucket"]
    prefix = f"datasets/{_sub(alice)}/{sales['dataset_id']}/{names.TABLE_FOLDER}"
    [copy] = stack.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    assert answer["scanned_bytes"] == copy["Size"]


def test_boto3s_athena_client_gets_the_rows_and_the_result_file(
    stack: Stack, sales: dict[str, Any]
) -> None:
    athena = stack.client("athena")
    query_id = athena.start_query_execution(
        QueryString=f"SELECT units, sold_on FROM {sales['table']} "
        "WHERE region = 'north' ORDER BY units",
        QueryExecutionContext={"Database": names.glue_database(STACK)},
        WorkGroup=physical(names.ATHENA_WORKGROUP, STACK),
        # Ignored: the workgroup enforces its own result location.
        ResultConfiguration={"OutputLocation": "s3://elsewhere/"},
    )["QueryExecutionId"]
    for _ in range(100):
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    assert [[d.get("VarCharValue") for d in r["Data"]] for r in rows] == [
        ["units", "sold_on"],
        ["2", "2026-03-04"],
        ["3", "2026-01-02"],
    ]
    location = execution["ResultConfiguration"]["OutputLocation"]
    bucket, _, key = location.removeprefix("s3://").partition("/")
    assert bucket.startswith(physical(names.RESULTS_BUCKET, STACK)) and key.startswith(
        names.QUERY_RESULTS_PREFIX
    )
    body = stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert body.splitlines() == ['"units","sold_on"', '"2","2026-03-04"', '"3","2026-01-02"']


def test_the_workgroups_bytes_cutoff_fails_a_query_that_would_scan_more(
    stack: Stack, big: dict[str, Any]
) -> None:
    athena = stack.client("athena")
    results = stack.mocks.stack_outputs["csvchat_results_bucket"]
    athena.create_work_group(
        Name="small",
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{results}/small/"},
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": 10_000_000,  # Athena's minimum; the file is larger
        },
    )
    query_id = athena.start_query_execution(
        QueryString=f"SELECT count(*) FROM {big['table']}",
        QueryExecutionContext={"Database": names.glue_database(STACK)},
        WorkGroup="small",
    )["QueryExecutionId"]
    for _ in range(100):
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    assert status["State"] == "FAILED"
    assert "Bytes scanned limit was exceeded" in status["StateChangeReason"]


def test_a_deleted_dataset_is_gone_with_its_object_and_table(stack: Stack, alice: str) -> None:
    dataset = upload(stack, alice, b"x,y\n1,2\n", "gone.csv")
    status, _ = call(stack, alice, "DELETE", f"/datasets/{dataset['dataset_id']}")
    assert status == 200
    assert call(stack, alice, "GET", f"/datasets/{dataset['dataset_id']}")[0] == 404
    glue = stack.client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName=names.glue_database(STACK), Name=dataset["table"])
    bucket = stack.mocks.stack_outputs["csvchat_uploads_bucket"]
    listed = stack.client("s3").list_object_versions(Bucket=bucket, Prefix="datasets/")
    assert not [v for v in listed.get("Versions", []) if dataset["dataset_id"] in v["Key"]]


# Rows that do not compress away (a random token each), so the table's gzipped copy is
# still larger than the smallest bytes-scanned cutoff Athena takes (10 MB).
_TOKENS = random.Random(23)
BIG = b"region,price,units,sold_on,token\n" + b"".join(
    b"north,1.5,3,2026-01-02," + base64.b64encode(_TOKENS.randbytes(48)) + b"\n"
    for _ in range(21 * MIB // 88)
)


@pytest.fixture(scope="module")
def big(stack: Stack, alice: str) -> dict[str, Any]:
    """A 21 MB file: five presigned parts of 5 MB."""
    return upload(stack, alice, BIG, "big.csv")


def test_a_large_file_goes_up_in_presigned_parts(big: dict[str, Any]) -> None:
    assert big["status"] == "ready"
    assert big["size"] == len(BIG)
    assert big["row_estimate"] == BIG.count(b"\n") - 1  # counted as the copy was written


def test_a_multipart_upload_larger_than_declared_is_discarded(stack: Stack, bob: str) -> None:
    """A part URL cannot bound its body: completion checks the parts' sizes (ListParts),
    aborts an upload larger than declared and fails its dataset; no object is left."""
    declared = 6 * MIB
    status, created = call(
        stack,
        bob,
        "POST",
        "/uploads",
        {"filename": "liar.csv", "size": declared, "content_type": "text/csv"},
    )
    assert status == 201, created
    form, parts = created["upload"], []
    for part in form["parts"]:  # each part a full 5 MB: 10 MB in all
        put = requests.put(part["url"], data=b"a" * form["part_size"], timeout=60)
        assert put.status_code == 200, put.text
        parts.append({"part_number": part["part_number"], "etag": put.headers["ETag"]})
    dataset_id = created["dataset_id"]
    status, refused = call(stack, bob, "POST", f"/uploads/{dataset_id}/complete", {"parts": parts})
    assert (status, refused["error_code"]) == (413, "FILE_TOO_LARGE"), refused
    assert f"{declared:,}" in refused["message"]
    status, dataset = call(stack, bob, "GET", f"/datasets/{dataset_id}")
    assert (status, dataset["status"]) == (200, "failed")
    bucket = stack.mocks.stack_outputs["csvchat_uploads_bucket"]
    s3 = stack.client("s3")
    listed = s3.list_object_versions(Bucket=bucket, Prefix="datasets/")
    assert not [v for v in listed.get("Versions", []) if dataset_id in v["Key"]]
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert not [u for u in uploads if dataset_id in u["Key"]]
    status, again = call(stack, bob, "POST", f"/uploads/{dataset_id}/complete", {"parts": parts})
    assert (status, again["error_code"]) == (409, "UPLOAD_NOT_IN_PROGRESS")


# Isolation behind the guard: each query runs with credentials scoped to its dataset, and
# the local Athena resolves names by scope and honours those credentials.


def _sub(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


@pytest.fixture(scope="module")
def bobs(stack: Stack, bob: str) -> dict[str, Any]:
    return upload(stack, bob, b"secret,n\nbob-only,7\n", "bobs.csv")


@dataclass
class Remaining:
    """A Lambda context's clock."""

    ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.ms


def test_sql_past_the_guard_still_cannot_read_another_users_table(
    alice: str, sales: dict[str, Any], bobs: dict[str, Any]
) -> None:
    """The guard is skipped here on purpose: the query's credentials alone stop it."""
    from chalicelib.csvchat import wiring
    from chalicelib.csvchat.exceptions import QueryFailedError
    from chalicelib.csvchat.queries import DatasetTable, run_query

    mine = DatasetTable(_sub(alice), sales["dataset_id"], sales["table"])
    run = wiring.query_run(None)
    assert run_query(run, mine, f"SELECT COUNT(*) FROM {sales['table']}").rows == [["3"]]
    for sql in (
        f"SELECT * FROM {bobs['table']}",
        f"WITH {sales['table']} AS (SELECT * FROM {bobs['table']}) SELECT * FROM {sales['table']}",
        f"SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) t, {bobs['table']}",
    ):
        with pytest.raises(QueryFailedError) as denied:
            run_query(run, mine, sql)
        assert denied.value.message == "the query may read only this dataset's table", sql


def test_each_dataset_is_queried_in_a_session_of_its_own_reused_while_it_lasts(
    stack: Stack, alice: str, bob: str, sales: dict[str, Any], bobs: dict[str, Any]
) -> None:
    from chalicelib.csvchat import wiring

    wiring.reset()
    policies: list[dict[str, Any]] = []
    hook = lambda params, **_: policies.append(json.loads(params["Policy"]))  # noqa: E731
    events = wiring.session().events
    events.register("provide-client-params.sts.AssumeRole", hook)
    try:
        for _ in range(2):
            for token, dataset in ((alice, sales), (bob, bobs)):
                sql = {"sql": f"SELECT COUNT(*) FROM {dataset['table']}"}
                path = f"/datasets/{dataset['dataset_id']}/query"
                assert call(stack, token, "POST", path, sql)[0] == 200
    finally:
        events.unregister("provide-client-params.sts.AssumeRole", hook)
    assert len(policies) == 2
    for policy, token, dataset in zip(policies, (alice, bob), (sales, bobs), strict=True):
        resources = [r for s in policy["Statement"] for r in s["Resource"]]
        prefix = f"/{names.DATASETS_PREFIX}{_sub(token)}/{dataset['dataset_id']}/*"
        assert [r for r in resources if "/datasets/" in r] == [
            r for r in resources if r.endswith(prefix)
        ]
        assert any(r.endswith(f"/{dataset['table']}") for r in resources), resources


def test_the_local_athena_resolves_with_names_by_scope_as_trino(
    stack: Stack, sales: dict[str, Any]
) -> None:
    """A WITH name outside its query is a table name: the catalog has no ``x``."""
    database = names.glue_database(STACK)
    athena = stack.client("athena")
    table = sales["table"]
    outcomes = {}
    for sql in (
        f"WITH x AS (SELECT * FROM {table}) SELECT COUNT(*) FROM x",
        f"SELECT COUNT(*) FROM x UNION ALL (WITH x AS (SELECT * FROM {table}) SELECT 1 FROM x)",
        f"WITH a AS (SELECT * FROM x), x AS (SELECT * FROM {table}) SELECT COUNT(*) FROM a",
    ):
        query_id = athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": database},
            WorkGroup=physical(names.ATHENA_WORKGROUP, STACK),
        )["QueryExecutionId"]
        for _ in range(200):
            status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            if status["Status"]["State"] not in ("QUEUED", "RUNNING"):
                break
            time.sleep(0.05)
        outcomes[sql] = (status["Status"]["State"], status["Status"].get("StateChangeReason"))
    first, second, third = outcomes.values()
    assert first == ("SUCCEEDED", None)
    missing = f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{database}.x' does not exist"
    assert second == third == ("FAILED", missing)


def test_a_query_ends_before_the_functions_time_is_up_and_is_stopped(
    alice: str, sales: dict[str, Any]
) -> None:
    """2.5 s left and a 2 s margin: the query gets 0.5 s, then StopQueryExecution."""
    from chalicelib.csvchat import wiring
    from chalicelib.csvchat.exceptions import QueryTimeoutError
    from chalicelib.csvchat.queries import DatasetTable, run_query

    mine = DatasetTable(_sub(alice), sales["dataset_id"], sales["table"])
    endless = f"{ENDLESS}, {sales['table']}"
    with pytest.raises(QueryTimeoutError, match=r"0\.5 s"):
        run_query(wiring.query_run(Remaining(2500)), mine, endless)
    with pytest.raises(QueryTimeoutError, match="no time was left"):
        run_query(wiring.query_run(Remaining(1000)), mine, endless)


ENDLESS = (
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 1000000000000) "
    "SELECT COUNT(*) FROM t"
)


def test_the_local_engine_reads_only_what_the_querys_credentials_allow(
    stack: Stack, sales: dict[str, Any], tmp_path: Path
) -> None:
    from devstack.services.athena.sql import Engine, QueryError, Reader

    def only(*allowed: str) -> Callable[[str, str], bool]:
        return lambda action, _resource: action in allowed

    database, sql = names.glue_database(STACK), f"SELECT * FROM {sales['table']}"
    for allows, refusal in (
        (only(), "ACCESS_DENIED: User: tester is not authorized to perform: glue:GetTable"),
        (only("glue:GetTable"), "PERMISSION_DENIED: Permission denied on S3 path: s3://"),
    ):
        reader = Reader("tester", allows, REGION, "1")
        engine = Engine(stack.client("s3"), stack.client("glue"), tmp_path, reader)
        with pytest.raises(QueryError) as denied:
            engine.run(sql, database, None, timeout=30)
        assert str(denied.value).startswith(refusal)
    reader = Reader("tester", lambda *_: True, REGION, "1")
    engine = Engine(stack.client("s3"), stack.client("glue"), tmp_path, reader)
    assert len(engine.run(sql, database, None, timeout=30).rows) == 3


def test_the_local_engine_stops_at_its_time_limit_or_when_interrupted(
    stack: Stack, tmp_path: Path
) -> None:
    from devstack.services.athena.sql import Engine, QueryError

    database = names.glue_database(STACK)
    engine = Engine(stack.client("s3"), stack.client("glue"), tmp_path)
    with pytest.raises(QueryError, match=r"EXCEEDED_TIME_LIMIT.*time limit of 0\.3 s"):
        engine.run(ENDLESS, database, None, timeout=0.3)
    engine = Engine(stack.client("s3"), stack.client("glue"), tmp_path)
    threading.Timer(0.3, engine.interrupt).start()
    with pytest.raises(QueryError, match="the query was cancelled"):
        engine.run(ENDLESS, database, None, timeout=600)


# Tokens: API Gateway's authorizer, as the local gateway checks it.


def _signed(claims: dict[str, Any], key: Any) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


def _moto_key() -> Any:
    """The key moto signs every pool's tokens with (its JWKS serves the public half)."""
    from moto.utilities.utils import load_resource

    return jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key


def _claims(stack: Stack, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": str(uuid.uuid4()),
        "aud": stack.client_id,
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{stack.pool_id}",
        "token_use": "id",
        "cognito:username": "someone",
        "iat": now,
        "exp": now + 600,
    } | changes


def test_a_token_signed_by_the_pools_key_with_the_right_claims_passes(stack: Stack) -> None:
    assert call(stack, _signed(_claims(stack), _moto_key()), "GET", "/datasets")[0] == 200


def test_a_missing_or_forged_token_is_401(stack: Stack) -> None:
    forged = _signed(_claims(stack), rsa.generate_private_key(public_exponent=65537, key_size=2048))
    for token in (None, "not-a-jwt", forged):
        status, answer = call(stack, token, "GET", "/datasets")
        assert (status, answer["error_code"], answer["message"]) == (
            401,
            "UNAUTHORIZED",
            "Unauthorized",
        )


def test_an_expired_token_is_401_as_api_gateway_says(stack: Stack) -> None:
    expired = _signed(_claims(stack, exp=int(time.time()) - 5), _moto_key())
    status, answer = call(stack, expired, "GET", "/datasets")
    assert (status, answer["message"]) == (401, "The incoming token has expired")


def test_an_access_token_or_one_of_another_client_is_401(stack: Stack) -> None:
    idp = stack.client("cognito-idp")
    other = idp.create_user_pool_client(
        UserPoolId=stack.pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )
    wrong_client = sign_in(stack, **DEMO_USERS[0], client_id=other["UserPoolClient"]["ClientId"])
    access = _signed(_claims(stack, token_use="access"), _moto_key())
    for token in (wrong_client, access):
        assert call(stack, token, "GET", "/datasets")[0] == 401


def test_a_token_of_another_pool_is_401(stack: Stack) -> None:
    idp = stack.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="elsewhere", UsernameAttributes=["email"])["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )
    create_user(idp, pool["Id"], "mallory@example.com", "Local-demo-mallory-1")
    token = sign_in(
        stack, "mallory@example.com", "Local-demo-mallory-1", client["UserPoolClient"]["ClientId"]
    )
    assert call(stack, token, "GET", "/datasets")[0] == 401


# Ten awkward CSVs: each ends ready with the right schema, or failed with a clear reason.


def _wide() -> bytes:
    header = ",".join(f"c{i}" for i in range(2000))
    return f"{header}\n{','.join(str(i) for i in range(2000))}\n".encode()


AWKWARD = {
    "utf-8 BOM": (codecs.BOM_UTF8 + b"id,name\n1,Ann\n", [("id", "bigint"), ("name", "string")]),
    "semicolons": (b"city;amount\nOslo;12\nBergen;7\n", [("city", "string"), ("amount", "bigint")]),
    "quoted newlines": (
        b'note,n\n"line one\nline two",1\n"plain",2\n',
        [("note", "string"), ("n", "bigint")],
    ),
    "duplicate and reserved headers": (
        b"select,Name,name,,2nd\n1,a,b,c,d\n",
        [
            ("select_", "bigint"),
            ("name", "string"),
            ("name_2", "string"),
            ("column_4", "string"),
            ("c_2nd", "string"),
        ],
    ),
    "latin-1": (
        "Stadt,Größe\nKöln,3\n".encode("latin-1"),
        [("stadt", "string"), ("grosse", "bigint")],
    ),
    "2,000 columns": (_wide(), [(f"c{i}", "bigint") for i in range(2000)]),
    "empty": (b"", "the file is empty"),
    "binary": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not text"),
    "ragged rows": (
        b"a,b,c\n1,2,3\n1,2,3,4\n5,6,7\n8,9,10,11\n",
        "lines 3, 5 have 4 fields, the header (line 1) 3",
    ),
    "no header row": (b"1,2\n3,4\n", "no header row"),
}


@pytest.mark.parametrize("case", list(AWKWARD))
def test_an_awkward_csv_ends_ready_or_failed_with_a_reason(
    stack: Stack, bob: str, case: str
) -> None:
    content, expected = AWKWARD[case]
    dataset = upload(stack, bob, content)
    if isinstance(expected, str):
        assert dataset["status"] == "failed"
        assert expected in dataset["reason"]
    else:
        assert dataset["status"] == "ready", dataset.get("reason")
        assert [(c["name"], c["type"]) for c in dataset["columns"]] == expected


def test_latin1_text_reads_back_as_text_through_athena(stack: Stack, bob: str) -> None:
    dataset = upload(stack, bob, "Stadt,Größe\nKöln,3\nMünchen,5\n".encode("latin-1"))
    status, answer = call(
        stack,
        bob,
        "POST",
        f"/datasets/{dataset['dataset_id']}/query",
        {"sql": f"SELECT stadt, grosse FROM {dataset['table']} ORDER BY grosse"},
    )
    assert status == 200, answer
    assert answer["rows"] == [["Köln", "3"], ["München", "5"]]
    assert [c["source_name"] for c in dataset["columns"]] == ["Stadt", "Größe"]


# Uploads: what the API refuses before anything goes up.


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"filename": "sheet.xlsx", "size": 10, "content_type": "text/csv"},
            400,
            "UNSUPPORTED_FILE_TYPE",
        ),
        (
            {"filename": "a.csv", "size": 10, "content_type": "image/png"},
            400,
            "UNSUPPORTED_FILE_TYPE",
        ),
        ({"filename": "a.csv", "size": 2 << 30, "content_type": "text/csv"}, 413, "FILE_TOO_LARGE"),
        ({"filename": "a.csv", "content_type": "text/csv"}, 400, "VALIDATION_ERROR"),
    ],
)
def test_an_upload_the_settings_refuse_is_refused(
    stack: Stack, alice: str, body: dict[str, Any], status: int, code: str
) -> None:
    got, answer = call(stack, alice, "POST", "/uploads", body)
    assert (got, answer["error_code"]) == (status, code)


def test_the_per_user_quota_is_enforced_from_the_usage_the_stream_keeps(stack: Stack) -> None:
    from chalicelib.csvchat import wiring
    from chalicelib.csvchat.usage import refresh_usage

    idp = stack.client("cognito-idp")
    create_user(idp, stack.pool_id, "carol@example.com", "Local-demo-carol-1")
    carol = sign_in(stack, "carol@example.com", "Local-demo-carol-1")
    owner = jwt.decode(carol, options={"verify_signature": False})["sub"]
    usage = boto3.resource("dynamodb", endpoint_url=stack.endpoint, region_name=REGION).Table(
        physical(names.USAGE_TABLE.base_name, STACK)
    )
    usage.put_item(Item={"owner": owner, "datasets": 40, "bytes": 0})
    status, answer = call(
        stack,
        carol,
        "POST",
        "/uploads",
        {"filename": "a.csv", "size": 10, "content_type": "text/csv"},
    )
    assert (status, answer["error_code"]) == (409, "QUOTA_EXCEEDED")
    assert refresh_usage(owner, wiring.datasets(), usage, "now")["datasets"] == 0  # recounted
    assert (
        call(
            stack,
            carol,
            "POST",
            "/uploads",
            {"filename": "a.csv", "size": 10, "content_type": "text/csv"},
        )[0]
        == 201
    )


def test_the_stream_consumer_recounts_each_owner_of_a_batch(stack: Stack, alice: str) -> None:
    from chalicelib.csvchat import wiring
    from chalicelib.csvchat.usage import track_usage

    owner = jwt.decode(alice, options={"verify_signature": False})["sub"]
    record = {"dynamodb": {"Keys": {"owner": {"S": owner}}, "SequenceNumber": "1"}}
    assert track_usage([record], wiring.counted_datasets(), wiring.usage_table(), "now") == {
        "batchItemFailures": []
    }
    usage = wiring.usage_table().get_item(Key={"owner": owner})["Item"]
    mine = call(stack, alice, "GET", "/datasets?limit=100")[1]["items"]
    assert (usage["datasets"], usage["bytes"]) == (len(mine), sum(d["size"] for d in mine))
