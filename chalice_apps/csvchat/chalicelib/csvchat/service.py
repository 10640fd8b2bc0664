"""What the dataset routes do, each over the caller's own items only: list (paged), read,
delete (the object and its versions, the table, the chat history, the item) and query.
Another user's dataset is simply not found."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.catalog import drop_table, table_name
from chalicelib.csvchat.datasets import READY, DatasetRepository, public
from chalicelib.csvchat.exceptions import DatasetNotFoundError, DatasetNotReadyError
from chalicelib.csvchat.guard import checked_sql
from chalicelib.csvchat.names import DATASET_CHATS_INDEX, DATASETS_PREFIX
from chalicelib.csvchat.queries import DatasetTable, QueryRun, run_query
from shared.errors import InvalidQueryError, ParameterProblem, TransientError
from shared.page_token import decode_page_token, encode_page_token, invalid_token
from shared.query import checked_parameters

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

DEFAULT_PAGE = 50
MAX_PAGE = 100


@dataclass(frozen=True)
class DatasetDeps:
    datasets: DatasetRepository
    s3: S3Client
    glue: GlueClient
    chats: Table
    bucket: str
    database: str


def owned(deps: DatasetDeps, owner: str, dataset_id: str) -> dict[str, Any]:
    """The caller's dataset. Raises DatasetNotFoundError (404) for anyone else's."""
    item = deps.datasets.get(owner, dataset_id) if dataset_id.isalnum() else None
    if item is None:
        raise DatasetNotFoundError()
    return item


def _page_request(query: dict[str, str], owner: str) -> tuple[int, dict[str, Any] | None]:
    params = checked_parameters(query, optional=("limit", "next"))
    try:
        limit = int(params.get("limit", DEFAULT_PAGE))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidQueryError([ParameterProblem("limit", f"must be 1 to {MAX_PAGE}")])
    if "next" not in params:
        return limit, None
    body = decode_page_token(params["next"])
    if "d" not in body:
        raise invalid_token()
    return limit, {"owner": owner, "dataset_id": str(body["d"])}


def list_datasets(deps: DatasetDeps, owner: str, query: dict[str, str]) -> dict[str, Any]:
    """``{"items": [...], "next": token or null}``; the token holds only a dataset id, so a
    token of another user's page lists the caller's own datasets, never theirs."""
    limit, start = _page_request(query, owner)
    items, last = deps.datasets.page(owner, limit, start)
    token = encode_page_token({"d": last["dataset_id"]}) if last else None
    return {"items": [public(i) for i in items], "next": token}


def _delete_objects(deps: DatasetDeps, item: dict[str, Any]) -> None:
    prefix = f"{DATASETS_PREFIX}{item['owner']}/{item['dataset_id']}/"
    if item.get("upload_id"):
        with contextlib.suppress(deps.s3.exceptions.NoSuchUpload):
            deps.s3.abort_multipart_upload(
                Bucket=deps.bucket, Key=str(item["key"]), UploadId=str(item["upload_id"])
            )
    pages = deps.s3.get_paginator("list_object_versions").paginate(
        Bucket=deps.bucket, Prefix=prefix
    )
    for page in pages:
        versions = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        if versions:
            deps.s3.delete_objects(
                Bucket=deps.bucket,
                Delete={
                    "Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions],
                    "Quiet": True,
                },
            )


def _delete_history(deps: DatasetDeps, dataset_id: str) -> None:
    query: dict[str, Any] = {
        "IndexName": DATASET_CHATS_INDEX.name,
        "KeyConditionExpression": Key("dataset_id").eq(dataset_id),
    }
    with deps.chats.batch_writer() as batch:
        while True:
            response = deps.chats.query(**query)
            for found in response["Items"]:
                batch.delete_item(Key={"owner": found["owner"], "item_key": found["item_key"]})
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def delete_dataset(deps: DatasetDeps, owner: str, dataset_id: str) -> None:
    """Remove everything of one dataset; the item last, so a failure part-way can be
    retried with the same request.

    Raises:
        DatasetNotFoundError (404); TransientError: a service failed after retries.
    """
    item = owned(deps, owner, dataset_id)
    try:
        _delete_objects(deps, item)
        _delete_history(deps, dataset_id)
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"deleting dataset {dataset_id} failed: {err}") from err
    drop_table(deps.glue, deps.database, table_name(dataset_id))
    deps.datasets.delete(owner, dataset_id)


def query_dataset(
    deps: DatasetDeps, run: QueryRun, owner: str, dataset_id: str, sql: str
) -> dict[str, Any]:
    """Run SQL over the caller's ready dataset (its table only, at most the stack's row
    limit), with credentials that can read only that dataset.

    Raises:
        DatasetNotFoundError (404), DatasetNotReadyError (409), QueryRefusedError (400),
        QueryFailedError (400), QueryTimeoutError (503).
    """
    item = owned(deps, owner, dataset_id)
    if item["status"] != READY:
        raise DatasetNotReadyError(f"the dataset is {item['status']}, not ready")
    table = str(item["table"])
    checked = checked_sql(sql, table, deps.database, run.limits.max_rows)
    return run_query(run, DatasetTable(owner, dataset_id, table), checked).as_json()
