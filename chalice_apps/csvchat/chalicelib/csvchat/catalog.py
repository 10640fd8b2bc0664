"""One Glue table per dataset, in the stack's database: what Athena queries. The columns
carry the names Athena accepts and, as comments, the names the header wrote.

The table is declared over the dataset's normalised copy (``table_copy``: gzipped JSON
Lines under ``datasets/<owner>/<dataset_id>/table/``), never over the upload itself, and
read by ``org.openx.data.jsonserde.JsonSerDe``. No CSV SerDe reads what inference accepts:
OpenCSVSerde has no decimal-separator setting, reads ``date`` and ``timestamp`` only as
epoch numbers and does not take ``NA`` for NULL; LazySimpleSerDe cannot read quoted fields.
In the copy every value is already in the spelling the JSON SerDe parses for its declared
type (``normalise``), so Athena in AWS reads what the local engine reads.

The location holds the copy only: Athena reads every object under it, and the upload sits
one level up. The copy lives under the dataset's prefix, so the per-dataset query
credentials (``query_access``) and deleting a dataset cover it unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.inference import Column, CsvSchema
from chalicelib.csvchat.names import DATASETS_PREFIX, TABLE_FOLDER
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
# The copy's one object; ``.gz`` is how Athena knows to decompress it.
COPY_NAME = "rows.json.gz"


def _column(column: Column) -> dict[str, Any]:
    return {"Name": column.name, "Type": column.type, "Comment": column.source_name[:255]}


def table_name(dataset_id: str) -> str:
    return f"ds_{dataset_id}"


def table_prefix(owner: str, dataset_id: str) -> str:
    """``datasets/<owner>/<dataset_id>/table/``: the copy's folder, the table's location."""
    return f"{DATASETS_PREFIX}{owner}/{dataset_id}/{TABLE_FOLDER}"


def copy_key(owner: str, dataset_id: str) -> str:
    return f"{table_prefix(owner, dataset_id)}{COPY_NAME}"


def is_copy(key: str) -> bool:
    """Whether ``key`` is a dataset's normalised copy (its creation notifies the queue too)."""
    parts = key.split("/")
    return (
        len(parts) == 5
        and f"{parts[0]}/" == DATASETS_PREFIX
        and all(parts[1:3])
        and f"{parts[3]}/" == TABLE_FOLDER
    )


def location(bucket: str, owner: str, dataset_id: str) -> str:
    return f"s3://{bucket}/{table_prefix(owner, dataset_id)}"


def table_input(name: str, where: str, schema: CsvSchema, rows: int) -> dict[str, Any]:
    """The table over the copy at ``where`` with ``schema``'s columns; ``rows`` is the
    copy's row count (Athena's planner reads ``recordCount``)."""
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "json",
            "compressionType": "gzip",
            "recordCount": str(rows),
        },
        "StorageDescriptor": {
            "Columns": [_column(c) for c in schema.columns],
            "Location": where,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "Compressed": True,
            "SerdeInfo": {"SerializationLibrary": JSON_SERDE, "Parameters": {}},
        },
    }


def put_table(glue: GlueClient, database: str, table: dict[str, Any]) -> None:
    """Create the table, or replace it (a retried message): idempotent.

    Raises:
        TransientError: Glue failed after retries.
    """
    try:
        try:
            glue.create_table(DatabaseName=database, TableInput=table)  # type: ignore[arg-type]
        except glue.exceptions.AlreadyExistsException:
            glue.update_table(DatabaseName=database, TableInput=table)  # type: ignore[arg-type]
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"creating table {table['Name']} failed: {err}") from err


def drop_table(glue: GlueClient, database: str, name: str) -> None:
    """Delete the table; one already gone is not an error."""
    try:
        glue.delete_table(DatabaseName=database, Name=name)
    except glue.exceptions.EntityNotFoundException:
        pass
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"deleting table {name} failed: {err}") from err
