"""One Glue table per dataset, over the dataset's S3 prefix, in the stack's database:
what Athena queries. The columns carry the names Athena accepts and, as comments, the names
the header wrote; the SerDe reads the dialect and encoding inference found."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.inference import CsvSchema
from chalicelib.csvchat.names import DATASETS_PREFIX
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
# Hive's names for the encodings inference reports (UTF-8 is the SerDe's default).
_ENCODINGS = {"latin-1": "ISO-8859-1", "utf-16": "UTF-16"}


def table_name(dataset_id: str) -> str:
    return f"ds_{dataset_id}"


def location(bucket: str, owner: str, dataset_id: str) -> str:
    return f"s3://{bucket}/{DATASETS_PREFIX}{owner}/{dataset_id}/"


def table_input(name: str, where: str, schema: CsvSchema) -> dict[str, Any]:
    serde: dict[str, str] = {"separatorChar": schema.delimiter, "quoteChar": schema.quotechar}
    if schema.encoding in _ENCODINGS:
        serde["serialization.encoding"] = _ENCODINGS[schema.encoding]
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "csv",
            "skip.header.line.count": "1",
            "recordCount": str(schema.row_estimate),
        },
        "StorageDescriptor": {
            "Columns": [
                {"Name": c.name, "Type": c.type, "Comment": c.source_name[:255]}
                for c in schema.columns
            ],
            "Location": where,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": OPEN_CSV_SERDE, "Parameters": serde},
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
