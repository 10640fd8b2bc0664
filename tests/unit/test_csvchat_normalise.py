"""The row normaliser (no I/O): each CSV value as the JSON the table's SerDe reads for its
declared type, records past the header, and the gzipped stream the copy is made of."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import pytest

from chalicelib.csvchat.inference import Column, CsvSchema, infer_schema
from chalicelib.csvchat.normalise import (
    BATCH_ROWS,
    NormaliseError,
    RowWriter,
    gzipped,
    json_lines,
    records,
)

KINDS = ("boolean", "bigint", "double", "date", "timestamp", "string")


def schema(*columns: tuple[str, str], comma: frozenset[str] = frozenset()) -> CsvSchema:
    return CsvSchema(
        encoding="utf-8",
        delimiter=";",
        quotechar='"',
        columns=tuple(Column(name, kind, name) for name, kind in columns),
        row_estimate=1,
        decimal_comma=comma,
    )


def normalised(kind: str, value: str, *, comma: bool = False) -> Any:
    """``value`` in a column of ``kind`` as the JSON object's value."""
    writer = RowWriter(schema(("v", kind), comma=frozenset({"v"}) if comma else frozenset()))
    line = writer.line([value])
    parsed: dict[str, Any] = json.loads(line)
    assert list(parsed) == ["v"], line
    return parsed["v"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("missing", ["", "  ", "NA", "na", "N/A", "null", "NULL", " - ", "\t"])
def test_every_spelling_of_missing_is_null_in_every_column(kind: str, missing: str) -> None:
    assert normalised(kind, missing) is None


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("bigint", "+12", 12),
        ("bigint", " -0 ", 0),
        ("bigint", "9223372036854775807", 9223372036854775807),
        ("bigint", "9223372036854775808", None),  # past a bigint: no value, not a wrap
        ("bigint", "1.5", None),  # inference saw the head only: a later value may not fit
        ("double", "1e3", 1000.0),
        ("double", ".5", 0.5),
        ("double", "-2.", -2.0),
        ("double", "nan", None),  # not JSON, and not a number Athena's CSV types read
        ("double", "inf", None),
        ("double", "1e400", None),  # past a double: no JSON number
        ("boolean", "TRUE", True),
        ("boolean", "False", False),
        ("boolean", "yes", None),
        ("date", "2024-02-29", "2024-02-29"),
        ("date", "2023-02-29", None),
        ("date", "29/02/2024", None),
        ("string", "007", "007"),  # a code keeps its zeros
        ("string", " padded ", " padded "),  # text as written
        ("string", 'a "quote"\nand a line break\x00', 'a "quote"\nand a line break\x00'),
    ],
)
def test_values_become_the_json_their_declared_type_reads(
    kind: str, value: str, expected: object
) -> None:
    found = normalised(kind, value)
    assert found == expected and type(found) is type(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2008-02-11T23:00:00.000Z", "2008-02-11 23:00:00.000"),
        ("2024-03-01T10:00:00+01:30", "2024-03-01 08:30:00.000"),
        ("2024-03-01 23:30-0100", "2024-03-02 00:30:00.000"),  # the next day in UTC
        ("2024-03-01T10:00:00.123456789Z", "2024-03-01 10:00:00.123"),
        ("2024-03-01 10:00", "2024-03-01 10:00:00.000"),  # no zone: as written
        ("2024-03-01", "2024-03-01 00:00:00.000"),
        ("2024-03-01T25:00:00Z", None),
        ("yesterday", None),
    ],
)
def test_timestamps_are_written_in_utc_to_the_millisecond(value: str, expected: object) -> None:
    assert normalised("timestamp", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("97,4", 97.4),
        ("-1,472772241", -1.472772241),
        ("1,5e3", 1500.0),
        ("2.25", 2.25),
        ("1,5e400", None),
    ],
)
def test_a_decimal_comma_column_reads_commas_and_points(value: str, expected: float | None) -> None:
    assert normalised("double", value, comma=True) == expected


def test_a_comma_reads_as_no_number_where_the_column_has_decimal_points() -> None:
    assert normalised("double", "97,4") is None


def test_short_rows_are_padded_with_null_and_fields_past_the_columns_dropped() -> None:
    writer = RowWriter(schema(("a", "bigint"), ("b", "string"), ("c", "double")))

    short, wide = writer.line(["1"]), writer.line(["1", "x", "2,5", "", "extra"])

    assert json.loads(short) == {"a": 1, "b": None, "c": None}
    assert json.loads(wide) == {"a": 1, "b": "x", "c": None}
    assert writer.rows == 2


def test_a_repeated_value_reads_the_same_as_its_first_time() -> None:
    # GIVEN a column whose values repeat (the writer remembers what it wrote)
    columns = (("d", "date"), ("s", "string"))
    writer = RowWriter(schema(*columns))
    values = [["2024-01-0" + str(1 + i % 3), "NA" if i % 2 else " x"] for i in range(12)]
    # WHEN every row is written
    lines = [json.loads(writer.line(v)) for v in values]
    # THEN each row reads as it would alone
    assert lines == [json.loads(RowWriter(schema(*columns)).line(v)) for v in values]


def test_records_skip_the_preamble_header_and_blank_lines_and_keep_quoted_breaks() -> None:
    # GIVEN a file with a two-line preamble, a header, a blank line and a multi-line field
    content = 'Export of 2024-01-01\n\nname;note\nAnn;"line one\nline two"\n;;\nBob;plain\n'
    found = infer_schema(content.encode(), len(content))
    # WHEN its records are read after the header inference found
    rows = list(records(io.StringIO(content, newline=""), found))
    # THEN the data rows only, the quoted line break inside its field
    assert found.header_line == 3
    assert rows == [["Ann", "line one\nline two"], ["Bob", "plain"]]


def test_a_record_that_stops_being_csv_past_the_head_fails_with_its_line() -> None:
    found = schema(("a", "string"))
    content = "a\nfine\n" + "x" * (1 << 20) + "\n"  # one field past csv's field limit

    with pytest.raises(NormaliseError, match="line 3"):
        list(records(io.StringIO(content, newline=""), found))


def test_the_copy_is_gzipped_json_lines_and_the_same_rows_give_the_same_bytes() -> None:
    # GIVEN more rows than one batch
    found = schema(("n", "bigint"), ("t", "string"))
    rows = [[str(i), f"row {i}"] for i in range(BATCH_ROWS * 2 + 7)]
    # WHEN they are written twice (a retried message)
    first = b"".join(gzipped(json_lines(rows, RowWriter(found))))
    again = b"".join(gzipped(json_lines(rows, RowWriter(found))))
    # THEN one gzip member of one JSON object per line, byte for byte the same
    assert first == again
    lines = gzip.decompress(first).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"n": int(n), "t": t} for n, t in rows]
