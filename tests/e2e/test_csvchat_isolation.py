"""csvchat's tenant isolation on the shared local stack (``make dev``), with its two demo
users: each uploads a file holding a secret; every route is tried by one user with the
other's ids; SQL scope tricks naming the other's table are sent through the query route and
through a chat (the local Bedrock obeys ``run: <SQL>`` in a question, so the model "writes"
the trick); and, behind the guard, the local Athena itself refuses a session scoped to one
dataset that reads another. No answer may carry the other user's secret; each refusal is
in the shared error shape (specs/errors.md) or, for a chat, a refused answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests

from chalicelib.csvchat import names
from shared.names import physical
from tests.e2e.support import aws, wait_for

STACK = "dev"  # what `make dev` starts
SECRET = {"alice": "alice-secret-7d1f", "bob": "bob-secret-93ac"}
Call = Callable[..., tuple[int, Any]]

# Each names the victim's table ({other}) while querying the caller's ({own}).
SCOPE_TRICKS = (
    "SELECT * FROM {other}",
    "WITH {other} AS (SELECT * FROM {own}) SELECT * FROM {other}",
    "SELECT * FROM (WITH {other} AS (SELECT * FROM {own}) SELECT * FROM {other}) t "
    "UNION ALL SELECT * FROM {other}",
    "WITH x AS (SELECT * FROM x) SELECT * FROM x",
    "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM {own}) SELECT * FROM a",
    "SELECT * FROM {own} WHERE EXISTS (WITH {other} AS (SELECT 1) SELECT 1) "
    "AND secret IN (SELECT secret FROM {other})",
    "SELECT * FROM x UNION ALL (WITH x AS (SELECT * FROM {own}) SELECT * FROM x)",
    "(WITH x AS (SELECT * FROM {own}) SELECT * FROM x) UNION ALL SELECT * FROM {other}",
    "SELECT (SELECT MAX(secret) FROM {other}) AS s FROM {own}",
    "SELECT * FROM {own}, LATERAL (SELECT * FROM {other}) t",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT * FROM t",
    "SELECT COUNT(*) FROM UNNEST(sequence(1, 1000000000)) AS t(n)",
    "SELECT * FROM {database}.{other}",
    "SELECT * FROM awsdatacatalog.{database}.{other}",
)


def sign_in(local_stack: dict[str, Any], user: dict[str, str]) -> str:
    answer = aws(local_stack, "cognito-idp").initiate_auth(
        ClientId=local_stack["cognito"]["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


@pytest.fixture(scope="module")
def call(local_stack: dict[str, Any]) -> Call:
    def calling(token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = requests.request(
            method,
            f"{local_stack['apps']['csvchat']}{path}",
            headers={"Authorization": token},
            json=body,
            timeout=60,
        )
        return response.status_code, response.json()

    return calling


def upload(call: Call, token: str, owner: str) -> dict[str, Any]:
    content = f"secret,n\n{SECRET[owner]},1\n".encode()
    status, created = call(
        token,
        "POST",
        "/uploads",
        {"filename": f"{owner}.csv", "size": len(content), "content_type": "text/csv"},
    )
    assert status == 201, created
    form = created["upload"]
    sent = requests.post(
        form["url"], data=form["fields"], files={"file": ("f.csv", content)}, timeout=60
    )
    assert sent.status_code in (200, 204), sent.text
    path = f"/datasets/{created['dataset_id']}"
    ready = wait_for(lambda: (d := call(token, "GET", path)[1])["status"] == "ready" and d, 60)
    return dict(ready)


@pytest.fixture(scope="module")
def users(local_stack: dict[str, Any], call: Call) -> Iterator[dict[str, dict[str, Any]]]:
    """Each demo user's token, dataset and chat; deleted afterwards (with the chats), so
    the shared stack's other tests find the demo users as they were."""
    found = {}
    for owner, user in zip(("alice", "bob"), local_stack["demo"]["users"], strict=True):
        token = sign_in(local_stack, user)
        dataset = upload(call, token, owner)
        status, chat = call(token, "POST", "/chats", {"dataset_id": dataset["dataset_id"]})
        assert status == 201, chat
        found[owner] = {"token": token, "dataset": dataset, "chat": chat["chat_id"]}
    yield found
    for user in found.values():
        path = f"/datasets/{user['dataset']['dataset_id']}"
        assert call(user["token"], "DELETE", path)[0] == 200


def assert_error_shape(status: int, body: Any, expected: tuple[int, str]) -> None:
    assert (status, body.get("error_code")) == expected, body
    assert body["status"] == "error" and isinstance(body["message"], str), body


def test_each_user_reads_their_own_secret(users: dict[str, dict[str, Any]], call: Call) -> None:
    for owner, user in users.items():
        dataset = user["dataset"]
        sql = f"SELECT secret FROM {dataset['table']}"
        status, answer = call(
            user["token"], "POST", f"/datasets/{dataset['dataset_id']}/query", {"sql": sql}
        )
        assert (status, answer["rows"]) == (200, [[SECRET[owner]]]), answer


@pytest.mark.parametrize(("caller", "victim"), [("alice", "bob"), ("bob", "alice")])
def test_every_route_with_the_others_ids_is_not_found(
    users: dict[str, dict[str, Any]], call: Call, caller: str, victim: str
) -> None:
    token, theirs = users[caller]["token"], users[victim]
    dataset, chat = theirs["dataset"]["dataset_id"], theirs["chat"]
    sql = {"sql": f"SELECT * FROM {theirs['dataset']['table']}"}
    for method, path, body, expected in (
        ("GET", f"/datasets/{dataset}", None, (404, "DATASET_NOT_FOUND")),
        ("POST", f"/datasets/{dataset}/query", sql, (404, "DATASET_NOT_FOUND")),
        ("POST", "/chats", {"dataset_id": dataset}, (404, "DATASET_NOT_FOUND")),
        (
            "POST",
            f"/uploads/{dataset}/complete",
            {"parts": [{"part_number": 1, "etag": "x"}]},
            (404, "DATASET_NOT_FOUND"),
        ),
        ("GET", f"/chats/{chat}/messages", None, (404, "CHAT_NOT_FOUND")),
        ("POST", f"/chats/{chat}/messages", {"question": "how many rows"}, (404, "CHAT_NOT_FOUND")),
        ("DELETE", f"/datasets/{dataset}", None, (404, "DATASET_NOT_FOUND")),
    ):
        status, answer = call(token, method, path, body)
        assert_error_shape(status, answer, expected)
        assert SECRET[victim] not in json.dumps(answer), (method, path)
    listed = call(token, "GET", "/datasets")[1]["items"]
    assert dataset not in [d["dataset_id"] for d in listed]
    chats = call(token, "GET", "/chats")[1]["items"]
    assert chat not in [c["chat_id"] for c in chats]
    owner = users[victim]
    assert call(owner["token"], "GET", f"/datasets/{dataset}")[0] == 200  # nothing deleted


def tricks(users: dict[str, dict[str, Any]], caller: str, victim: str) -> list[str]:
    return [
        sql.format(
            own=users[caller]["dataset"]["table"],
            other=users[victim]["dataset"]["table"],
            database=names.glue_database(STACK),
        )
        for sql in SCOPE_TRICKS
    ]


@pytest.mark.parametrize(("caller", "victim"), [("alice", "bob"), ("bob", "alice")])
def test_scope_tricks_through_the_query_route_are_refused(
    users: dict[str, dict[str, Any]], call: Call, caller: str, victim: str
) -> None:
    mine = users[caller]
    path = f"/datasets/{mine['dataset']['dataset_id']}/query"
    for sql in tricks(users, caller, victim):
        status, answer = call(mine["token"], "POST", path, {"sql": sql})
        assert SECRET[victim] not in json.dumps(answer), sql
        assert_error_shape(status, answer, (400, "QUERY_REFUSED"))


@pytest.mark.parametrize(("caller", "victim"), [("alice", "bob"), ("bob", "alice")])
def test_scope_tricks_the_model_writes_in_a_chat_are_refused(
    users: dict[str, dict[str, Any]], call: Call, caller: str, victim: str
) -> None:
    mine = users[caller]
    path = f"/chats/{mine['chat']}/messages"
    for sql in tricks(users, caller, victim):
        status, answer = call(mine["token"], "POST", path, {"question": f"run: {sql}"})
        assert status == 200, answer
        assert SECRET[victim] not in json.dumps(answer), sql
        assert answer["refused"] and "rows" not in answer, answer


def test_the_local_athena_refuses_a_session_scoped_to_another_dataset(
    local_stack: dict[str, Any], users: dict[str, dict[str, Any]]
) -> None:
    """Behind the guard: a session policy naming Alice's dataset (as the API writes it)
    cannot read Bob's table, even by a query no guard saw."""
    from chalicelib.csvchat.query_access import QueryAccess

    alice, bob = users["alice"]["dataset"], users["bob"]["dataset"]
    account = aws(local_stack, "sts").get_caller_identity()["Account"]
    s3 = aws(local_stack, "s3")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    access = QueryAccess(
        role_arn=f"arn:aws:iam::{account}:role/{physical('csvchat-query', STACK)}",
        region=local_stack["region"],
        uploads_bucket=next(b for b in buckets if b.startswith(f"{names.UPLOADS_BUCKET}-")),
        results_bucket=next(b for b in buckets if b.startswith(f"{names.RESULTS_BUCKET}-")),
        results_prefix=names.QUERY_RESULTS_PREFIX,
        database=names.glue_database(STACK),
        workgroup=physical(names.ATHENA_WORKGROUP, STACK),
    )
    owner = _owner(local_stack, alice)
    credentials = aws(local_stack, "sts").assume_role(
        RoleArn=access.role_arn,
        RoleSessionName="e2e",
        Policy=json.dumps(access.session_policy(owner, alice["dataset_id"], alice["table"])),
    )["Credentials"]
    athena = boto3.client(
        "athena",
        endpoint_url=local_stack["aws_endpoint"],
        region_name=local_stack["region"],
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    outcomes = []
    for sql in (f"SELECT secret FROM {alice['table']}", f"SELECT secret FROM {bob['table']}"):
        query_id = athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": access.database},
            WorkGroup=access.workgroup,
        )["QueryExecutionId"]
        done = wait_for(
            lambda q=query_id: (
                (e := athena.get_query_execution(QueryExecutionId=q)["QueryExecution"])["Status"][
                    "State"
                ]
                not in ("QUEUED", "RUNNING")
                and e
            )
        )
        status = done["Status"]
        outcomes.append((status["State"], status.get("AthenaError", {}).get("ErrorType")))
    assert outcomes == [("SUCCEEDED", None), ("FAILED", 1500)]  # 1500: permission error


def _owner(local_stack: dict[str, Any], dataset: dict[str, Any]) -> str:
    """The dataset's owner (the Cognito ``sub``): the first part of its objects' prefix
    (the upload and the table's copy)."""
    s3 = aws(local_stack, "s3")
    bucket = next(
        b["Name"]
        for b in s3.list_buckets()["Buckets"]
        if b["Name"].startswith(f"{names.UPLOADS_BUCKET}-")
    )
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=names.DATASETS_PREFIX
    )
    (owner,) = {
        str(o["Key"]).split("/")[1]
        for page in pages
        for o in page.get("Contents", [])
        if f"/{dataset['dataset_id']}/" in o["Key"]
    }
    return owner
