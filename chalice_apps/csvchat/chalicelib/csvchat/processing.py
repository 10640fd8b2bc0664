"""The processing queue's consumer: an object created under ``datasets/`` becomes a Glue
table, and its dataset ``ready``, or ``failed`` with a reason the uploader can act on.

S3 notifies the queue (``chalice package`` cannot wire S3 events; the Pulumi program
does), one message per event with the key URL-encoded. The schema is inferred from the
head of the object (a Range GET of ``HEAD_BYTES``); then the whole object is streamed once
into its normalised copy (``table_copy``), which the table is declared over. A message S3
sends once to check the queue (``s3:TestEvent``), the copy's own creation and an object no
dataset expects are dropped; a redelivered message finds the dataset past ``inferring`` and
does nothing, and a retried one (still ``inferring``) writes the same copy and table again.
Only transient failures (S3, Glue or DynamoDB after retries) send a message back to the
queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.catalog import (
    copy_key,
    is_copy,
    location,
    put_table,
    table_input,
    table_name,
)
from chalicelib.csvchat.datasets import DatasetRepository
from chalicelib.csvchat.inference import HEAD_BYTES, CsvSchema, InferenceError, infer_schema
from chalicelib.csvchat.normalise import NormaliseError
from chalicelib.csvchat.table_copy import write_copy
from chalicelib.csvchat.uploads import parse_key
from shared.errors import TransientError
from shared.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_s3 import S3Client

log = logger("csvchat-processing")


@dataclass(frozen=True)
class ProcessingDeps:
    s3: S3Client
    glue: GlueClient
    datasets: DatasetRepository
    bucket: str
    database: str
    now: Callable[[], str]


def _head(deps: ProcessingDeps, key: str, size: int) -> bytes:
    if size == 0:  # S3 refuses any range of an empty object
        return b""
    try:
        response = deps.s3.get_object(
            Bucket=deps.bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}"
        )
        return response["Body"].read()
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"reading the head of {key} failed: {err}") from err


def _ready(deps: ProcessingDeps, owner: str, dataset_id: str, schema: CsvSchema, rows: int) -> None:
    name = table_name(dataset_id)
    put_table(
        deps.glue,
        deps.database,
        table_input(name, location(deps.bucket, owner, dataset_id), schema, rows),
    )
    deps.datasets.ready(
        owner,
        dataset_id,
        deps.now(),
        columns=[asdict(c) for c in schema.columns],
        row_estimate=rows,
        table=name,
        format={
            "encoding": schema.encoding,
            "delimiter": schema.delimiter,
            "quote": schema.quotechar,
            "header_line": schema.header_line,
            "decimal_comma": sorted(schema.decimal_comma),
        },
        warnings=[],
    )


def process_object(deps: ProcessingDeps, key: str, size: int) -> str:
    """Infer one uploaded object's schema, write its copy and create its table; returns
    what happened."""
    if is_copy(key):
        return "copy"
    found = parse_key(key)
    item = deps.datasets.get(*found) if found else None
    if found is None or item is None or item.get("key") != key:
        log.warning("object no dataset expects: ignored", extra={"key": key})
        return "ignored"
    owner, dataset_id = found
    if not deps.datasets.start_inferring(owner, dataset_id, size, deps.now()):
        return "already processed"
    if size > int(item["declared_size"]):
        declared = int(item["declared_size"])
        reason = f"the file is {size:,} bytes, more than the {declared:,} given: upload it again"
        deps.datasets.fail(owner, dataset_id, reason, deps.now())
        return "failed"
    try:
        schema = infer_schema(_head(deps, key, size), size)
        rows = write_copy(deps.s3, deps.bucket, key, copy_key(owner, dataset_id), schema)
    except (InferenceError, NormaliseError) as err:
        deps.datasets.fail(owner, dataset_id, str(err), deps.now())
        log.info("dataset failed", extra={"dataset_id": dataset_id, "reason": str(err)})
        return "failed"
    _ready(deps, owner, dataset_id, schema, rows)
    log.info("dataset ready", extra={"dataset_id": dataset_id, "columns": len(schema.columns)})
    return "ready"


def process_message(deps: ProcessingDeps, body: str) -> list[str]:
    """Every ``ObjectCreated`` record of one S3 notification."""
    event: dict[str, Any] = json.loads(body)
    outcomes = []
    for record in event.get("Records", []):  # none in s3:TestEvent
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        if s3["bucket"]["name"] != deps.bucket:
            continue
        outcomes.append(
            process_object(
                deps, unquote_plus(s3["object"]["key"]), int(s3["object"].get("size", 0))
            )
        )
    return outcomes


def handle_batch(event: dict[str, Any], context: Any, deps: ProcessingDeps) -> dict[str, Any]:
    """The Lambda response, ``{"batchItemFailures": [...]}``: a failed message (transient
    only, or a bug) goes back to the queue, the DLQ after its receives."""

    def record_handler(record: SQSRecord) -> list[str]:
        with log.append_context_keys(sqs_message_id=record.message_id):
            return process_message(deps, record.body)

    return process_partial_response(  # type: ignore[return-value]
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        context=context,
    )
