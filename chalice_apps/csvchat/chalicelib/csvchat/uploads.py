"""``POST /uploads``: a dataset in ``uploading`` and the presigned request its file goes up
with, and ``POST /uploads/{id}/complete`` for a multipart one.

A file up to the multipart threshold goes up in one presigned POST whose policy fixes the
key, the content type and a content-length range up to the declared size; a larger one in
parts, each with its own presigned URL, so a browser or script sends them in parallel and
shows progress. The stack's limits (size, types, per-user quota) are checked first; the
quota against the usage the datasets stream keeps (``usage.py``), so it may lag the last
upload by a second.

A part URL cannot bound its body, so completing a multipart upload first lists the parts S3
holds (ListParts): the parts named must be those (same ETags), and their sizes must fit the
declared size (which the quota was checked against). An upload that does not is aborted (S3
drops its parts; no object is ever assembled) and its dataset failed with the reason.
"""

from __future__ import annotations

import contextlib
import math
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.datasets import UPLOADING, DatasetRepository
from chalicelib.csvchat.exceptions import (
    DatasetNotFoundError,
    FileTooLargeError,
    InvalidPartsError,
    QuotaExceededError,
    UnsupportedFileError,
    UploadStateError,
)
from chalicelib.csvchat.models import (
    MAX_PARTS,
    CompleteRequest,
    UploadLimits,
    UploadRequest,
)
from chalicelib.csvchat.names import DATASETS_PREFIX
from shared.errors import FieldProblem, TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UploadDeps:
    s3: S3Client
    bucket: str
    datasets: DatasetRepository
    usage: Table
    limits: UploadLimits


def object_key(owner: str, dataset_id: str, filename: str) -> str:
    """``datasets/<owner>/<dataset_id>/<safe name>``: the dataset's prefix is its table's
    location, and the processing queue finds owner and dataset in the key."""
    safe = _UNSAFE.sub("_", filename).strip("._")[:100] or "data.csv"
    return f"{DATASETS_PREFIX}{owner}/{dataset_id}/{safe}"


def parse_key(key: str) -> tuple[str, str] | None:
    """``(owner, dataset_id)`` of an uploaded object's key, or None for any other key."""
    parts = key.split("/")
    if len(parts) != 4 or f"{parts[0]}/" != DATASETS_PREFIX or not all(parts[1:]):
        return None
    return parts[1], parts[2]


def _check_file(request: UploadRequest, limits: UploadLimits) -> None:
    content_type = request.content_type.split(";")[0].strip().lower()
    extension = request.filename.rsplit(".", 1)[-1].lower() if "." in request.filename else ""
    problems = []
    if f".{extension}" not in limits.extensions:
        problems.append(FieldProblem("filename", f"must end in {', '.join(limits.extensions)}"))
    if content_type not in limits.content_types:
        problems.append(
            FieldProblem("content_type", f"must be one of {', '.join(limits.content_types)}")
        )
    if problems:
        raise UnsupportedFileError("only CSV or TSV text files can be uploaded", problems=problems)
    if request.size > limits.max_bytes:
        raise FileTooLargeError(
            f"the file is {request.size:,} bytes; the limit is {limits.max_bytes:,}"
        )


def _check_quota(owner: str, size: int, deps: UploadDeps) -> None:
    try:
        usage = deps.usage.get_item(Key={"owner": owner}).get("Item") or {}
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"reading usage failed: {err}") from err
    datasets, used = int(usage.get("datasets", 0)), int(usage.get("bytes", 0))  # type: ignore[arg-type]
    limits = deps.limits
    if datasets + 1 > limits.quota_datasets:
        raise QuotaExceededError(
            f"you have {datasets} datasets, the limit is {limits.quota_datasets}: delete one first"
        )
    if used + size > limits.quota_bytes:
        raise QuotaExceededError(
            f"your datasets hold {used:,} bytes; with this file they would pass the limit of "
            f"{limits.quota_bytes:,}: delete one first"
        )


def _presigned_post(key: str, request: UploadRequest, deps: UploadDeps) -> dict[str, Any]:
    content_type = request.content_type
    post = deps.s3.generate_presigned_post(
        Bucket=deps.bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 0, request.size]],
        ExpiresIn=deps.limits.url_seconds,
    )
    return {"method": "POST", "url": post["url"], "fields": post["fields"]}


def _multipart(key: str, request: UploadRequest, deps: UploadDeps) -> dict[str, Any]:
    part_size = max(deps.limits.part_size_bytes, math.ceil(request.size / MAX_PARTS))
    upload_id = deps.s3.create_multipart_upload(
        Bucket=deps.bucket, Key=key, ContentType=request.content_type
    )["UploadId"]
    parts = [
        {
            "part_number": number,
            "url": deps.s3.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": deps.bucket,
                    "Key": key,
                    "UploadId": upload_id,
                    "PartNumber": number,
                },
                ExpiresIn=deps.limits.url_seconds,
            ),
        }
        for number in range(1, math.ceil(request.size / part_size) + 1)
    ]
    return {"method": "MULTIPART", "upload_id": upload_id, "part_size": part_size, "parts": parts}


def start_upload(owner: str, request: UploadRequest, deps: UploadDeps, now: str) -> dict[str, Any]:
    """The new dataset's id and how to upload its file.

    Raises:
        UnsupportedFileError (400), FileTooLargeError (413), QuotaExceededError (409).
        TransientError: S3 or DynamoDB failed after retries.
    """
    _check_file(request, deps.limits)
    _check_quota(owner, request.size, deps)
    dataset_id = uuid.uuid4().hex
    key = object_key(owner, dataset_id, request.filename)
    try:
        if request.size > deps.limits.multipart_threshold_bytes:
            upload = _multipart(key, request, deps)
        else:
            upload = _presigned_post(key, request, deps)
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"preparing the upload failed: {err}") from err
    item: dict[str, Any] = {
        "owner": owner,
        "dataset_id": dataset_id,
        "filename": request.filename,
        "content_type": request.content_type,
        "size": request.size,
        "declared_size": request.size,
        "status": UPLOADING,
        "key": key,
        "created_at": now,
        "updated_at": now,
    }
    if upload["method"] == "MULTIPART":
        item["upload_id"] = upload["upload_id"]
    deps.datasets.create(item)
    return {"dataset_id": dataset_id, "upload": upload}


def _uploaded_parts(deps: UploadDeps, item: dict[str, Any]) -> dict[int, tuple[str, int]]:
    """The parts S3 holds for the upload: number -> (ETag without quotes, size)."""
    found: dict[int, tuple[str, int]] = {}
    pages = deps.s3.get_paginator("list_parts").paginate(
        Bucket=deps.bucket, Key=str(item["key"]), UploadId=str(item["upload_id"])
    )
    for page in pages:
        for part in page.get("Parts", []):
            found[int(part["PartNumber"])] = (str(part["ETag"]).strip('"'), int(part["Size"]))
    return found


def _checked_parts(
    owner: str, item: dict[str, Any], request: CompleteRequest, deps: UploadDeps, now: str
) -> list[dict[str, Any]]:
    """The part list to complete with, once S3's parts match it and fit the limits.

    Raises:
        InvalidPartsError (400): a part named is not the one S3 holds.
        FileTooLargeError (413): the parts hold more than declared; the upload was
            aborted and the dataset failed.
    """
    try:
        held = _uploaded_parts(deps, item)
    except deps.s3.exceptions.NoSuchUpload as err:
        raise InvalidPartsError("S3 has no such upload: start a new one") from err
    parts = sorted(request.parts, key=lambda p: p.part_number)
    for part in parts:
        if held.get(part.part_number, ("", 0))[0] != part.etag.strip('"'):
            raise InvalidPartsError(f"part {part.part_number} is not the one S3 holds")
    size, declared = sum(held[p.part_number][1] for p in parts), int(item["declared_size"])
    if size > declared:
        why = f"the parts hold {size:,} bytes; the upload declared {declared:,}"
        with contextlib.suppress(deps.s3.exceptions.NoSuchUpload):
            deps.s3.abort_multipart_upload(
                Bucket=deps.bucket, Key=str(item["key"]), UploadId=str(item["upload_id"])
            )
        deps.datasets.fail(owner, str(item["dataset_id"]), why, now)
        deps.datasets.forget_upload(owner, str(item["dataset_id"]))
        raise FileTooLargeError(f"{why}: the upload was discarded")
    return [{"PartNumber": p.part_number, "ETag": p.etag} for p in parts]


def complete_upload(
    owner: str, dataset_id: str, request: CompleteRequest, deps: UploadDeps, now: str
) -> dict[str, Any]:
    """Ask S3 to assemble the parts (after checking them, see the module's docstring);
    the object then notifies the processing queue.

    Raises:
        DatasetNotFoundError (404): not the caller's dataset.
        UploadStateError (409): not a multipart upload in progress.
        InvalidPartsError (400): S3 refused the part list, or it names parts S3 lacks.
        FileTooLargeError (413): larger than declared (so than the quota allows);
            discarded.
    """
    item = deps.datasets.get(owner, dataset_id)
    if item is None:
        raise DatasetNotFoundError()
    if item["status"] != UPLOADING or "upload_id" not in item:
        raise UploadStateError("this dataset has no multipart upload in progress")
    try:
        parts = _checked_parts(owner, item, request, deps, now)
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"checking the upload's parts failed: {err}") from err
    try:
        deps.s3.complete_multipart_upload(
            Bucket=deps.bucket,
            Key=str(item["key"]),
            UploadId=str(item["upload_id"]),
            MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
        )
    except ClientError as err:
        code = err.response["Error"]["Code"]
        if code in {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "NoSuchUpload"}:
            raise InvalidPartsError(f"S3 refused the parts ({code}): upload them again") from err
        raise TransientError(f"completing the upload failed: {err}") from err
    except BotoCoreError as err:
        raise TransientError(f"completing the upload failed: {err}") from err
    deps.datasets.forget_upload(owner, dataset_id)
    return {"dataset_id": dataset_id, "status": UPLOADING}
