"""One Glue table per dataset, over the dataset's S3 prefix, in the stack's database:
what Athena queries. The columns carry the names Athena accepts and, as comments, the names
the header wrote; the SerDe reads the dialect and encoding inference found, and the table
declares every other choice inference made, so a query reads the values inference saw:

- ``skip.header.line.count``: the lines up to the header's last, preamble included;
- ``use.null.for.invalid.data``: a value that does not parse as its column's type is NULL.
  That is how missing values (``NA``, ``N/A``, ``null``, ``-``, empty) become NULL in a
  typed column, so aggregates skip them. ``serialization.null.format`` would be the
  precise tool, but only LazySimpleSerDe honours it, for one spelling, and that SerDe
  cannot read quoted fields; OpenCSVSerde reads every field as text and leaves typing to
  Athena. In a ``string`` column such spellings stay text (no CSV SerDe can say otherwise);
- trailing separators need nothing: the SerDe ignores fields past the declared columns;
- a double written with decimal commas carries the column parameter
  ``decimal.separator = ","``. The choice was between the table parsing them and rewriting
  the dataset with decimal points; it is the table, because inference reads only the head
  (a Range GET: the same cost for 1 MB or 1 GB), while a rewrite would read and write the
  whole object in the processing function (time bound by Lambda's 15 minutes, storage
  doubled, a second object for deletion and the quota to track). The local engine honours
  the parameter. Athena's OpenCSVSerde has no decimal-separator setting, so in AWS such a
  column reads NULL until a rewrite (or a view doing ``replace(col, ',', '.')``) exists:
  the dataset's ``format.decimal_comma`` names those columns for that step;
- ``date`` and ``timestamp`` columns (ISO 8601; ``Z`` or an offset read in UTC) are cast by
  the local engine; OpenCSVSerde reads only epoch numbers for those types, so in AWS they
  share the decimal comma's gap and the same remedy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.inference import Column, CsvSchema
from chalicelib.csvchat.names import DATASETS_PREFIX
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
# Hive's names for the encodings inference reports (UTF-8 is the SerDe's default).
_ENCODINGS = {"latin-1": "ISO-8859-1", "utf-16": "UTF-16"}
# The column parameter declaring a decimal separator other than ".".
DECIMAL_SEPARATOR = "decimal.separator"


def _column(column: Column, decimal_comma: bool) -> dict[str, Any]:
    declared: dict[str, Any] = {
        "Name": column.name,
        "Type": column.type,
        "Comment": column.source_name[:255],
    }
    if decimal_comma:
        declared["Parameters"] = {DECIMAL_SEPARATOR: ","}
    return declared


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
            "skip.header.line.count": str(schema.header_line),
            "use.null.for.invalid.data": "true",
            "recordCount": str(schema.row_estimate),
        },
        "StorageDescriptor": {
            "Columns": [_column(c, c.name in schema.decimal_comma) for c in schema.columns],
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
