"""Schema inference from a file's head (no I/O): dialect, encoding, header, names, types,
row estimate, and the reasons a person can act on; the query guard."""

from __future__ import annotations

import codecs

import pytest

from chalicelib.csvchat.exceptions import QueryRefusedError
from chalicelib.csvchat.guard import checked_sql
from chalicelib.csvchat.identifiers import identifiers
from chalicelib.csvchat.inference import HEAD_BYTES, InferenceError, column_type, infer_schema


def schema_of(content: bytes, size: int | None = None) -> list[tuple[str, str]]:
    found = infer_schema(content, len(content) if size is None else size)
    return [(c.name, c.type) for c in found.columns]


def test_names_become_unique_safe_identifiers_and_keep_nothing_reserved() -> None:
    assert identifiers(["Order ID", "select", "", "Größe", "2024 sales", "name", "Name"]) == [
        "order_id",
        "select_",
        "column_3",
        "grosse",
        "c_2024_sales",
        "name",
        "name_2",
    ]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "-2", ""], "bigint"),
        (["1", "2.5", "1e3"], "double"),
        (["true", "FALSE"], "boolean"),
        (["2026-01-02", ""], "date"),
        (["2026-13-02"], "string"),
        (["2026-01-02 10:00:00", "2026-01-02T10:00:00.123", "2026-01-03"], "timestamp"),
        (
            ["2008-02-11T23:00:00.000Z", "2008-02-11T23:00:00+02:00", "2024-05-08 10:31"],
            "timestamp",
        ),
        (["1", "x"], "string"),
        (["99999999999999999999"], "double"),
        ([""], "string"),
        (["3750", "NA", "N/A", "null", "NULL", "-", " ", ""], "bigint"),
        (["NA", "null"], "string"),
        (["063", "101"], "string"),
        (["000009113186"], "string"),
        (["0", "0.5", "-0.25"], "double"),
        (["1,5"], "string"),
    ],
)
def test_a_column_takes_the_narrowest_type_every_value_fits(values: list[str], kind: str) -> None:
    assert column_type(values) == (kind, False)


def test_decimal_commas_are_doubles_only_where_the_separator_is_not_a_comma() -> None:
    assert column_type(["97,4", "1947,40", "-1,53e4", "12", "NA"], comma_decimals=True) == (
        "double",
        True,
    )
    assert column_type(["1.5", "2"], comma_decimals=True) == ("double", False)
    assert column_type(["97,4"], comma_decimals=False) == ("string", False)
    assert column_type(["1.234,5"], comma_decimals=True) == ("string", False)


def test_delimiter_quote_and_header_are_found() -> None:
    found = infer_schema(b'name|note\n"Ann"|"a|b"\nBo|c\n', 30)
    assert (found.delimiter, found.quotechar) == ("|", '"')
    assert [c.source_name for c in found.columns] == ["name", "note"]


def test_tabs_and_a_comma_inside_text_do_not_fool_the_sniffer() -> None:
    assert schema_of(b"city\tnote\nOslo\tcold, wet\nRome\twarm, dry\n") == [
        ("city", "string"),
        ("note", "string"),
    ]


def test_a_bom_is_not_part_of_the_first_name() -> None:
    found = infer_schema(codecs.BOM_UTF8 + b"id,v\n1,2\n", 12)
    assert (found.encoding, found.columns[0].name) == ("utf-8-sig", "id")


def test_text_that_is_not_utf8_is_latin1() -> None:
    found = infer_schema("Stadt\nKöln\n".encode("latin-1"), 11)
    assert found.encoding == "latin-1"


def test_only_the_head_is_read_and_rows_are_estimated_from_it() -> None:
    row = b"north,1.5,2026-01-02\n"
    head = (b"region,price,day\n" + row * (2 * HEAD_BYTES // len(row)))[:HEAD_BYTES]
    size = 1 << 30
    found = infer_schema(head, size)
    assert [c.type for c in found.columns] == ["string", "double", "date"]
    assert abs(found.row_estimate - size // len(row)) / (size // len(row)) < 0.01


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"PK\x03\x04" + b"x" * 100, "not text"),
        (b"a,b\n" + b"\x01\x02\x03" * 20 + b"\n", "not text"),
        (b"1,2\n3,4\n", "no header row: line 1"),
        (b"a,b\n", "a header line \\(line 1\\) but no rows"),
        (b"a,b\n1,2\n1\n", "line 3 has 1 field, the header \\(line 1\\) 2"),
        (b"a;b\n1;2\n3;4;5\n6;7;8\n", "lines 3, 4 have 3 fields, the header \\(line 1\\) 2"),
    ],
)
def test_what_cannot_be_a_table_says_why(content: bytes, reason: str) -> None:
    with pytest.raises(InferenceError, match=reason):
        infer_schema(content, len(content))


def test_the_guard_lets_one_select_over_the_datasets_table_through() -> None:
    sql = "WITH t AS (SELECT * FROM ds_1) SELECT region, count(*) FROM t GROUP BY 1"
    # What runs is the normalised spelling (the cache's key).
    assert checked_sql(sql, "ds_1", "csvchat_dev") == sql.replace("count", "COUNT")
    assert checked_sql("SELECT * FROM csvchat_dev.ds_1", "ds_1", "csvchat_dev")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM ds_2",
        "SELECT * FROM ds_1 JOIN other_db.ds_1 ON true",
        "SELECT * FROM ds_1; SELECT 1",
        "DROP TABLE ds_1",
        "INSERT INTO ds_1 VALUES (1)",
        "SELECT * FROM (SELECT * FROM ds_9)",
        "not sql at all (",
    ],
)
def test_the_guard_refuses_anything_else(sql: str) -> None:
    with pytest.raises(QueryRefusedError):
        checked_sql(sql, "ds_1", "csvchat_dev")


def test_a_nul_byte_in_text_is_kept_not_refused_as_binary() -> None:
    content = b'"code","name"\n"31600\x00","x"\n"31650","y"\n' + b'"1","z"\n' * 50

    found = infer_schema(content, len(content))

    assert [(c.name, c.type) for c in found.columns] == [("code", "string"), ("name", "string")]


def test_a_separator_ending_every_line_adds_no_column() -> None:
    only_rows = b"n;code\n1;A;\n4;B;\n"
    both = b"n;code;;\n1;A;;\n4;B;;\n"

    for content in (only_rows, both):
        found = infer_schema(content, len(content))
        assert [(c.name, c.type) for c in found.columns] == [("n", "bigint"), ("code", "string")]


def test_a_preamble_is_skipped_and_the_header_line_counted() -> None:
    content = (
        b'\xef\xbb\xbf"Data Source","World Development Indicators",\r\n\r\n'
        b'"Last Updated Date","2018-03-01",\r\n\r\n'
        b'"Country","Code","1960","1961",\r\n'
        b'"Aruba","ABW","","2.5",\r\n"Chad","TCD","1.5","",\r\n'
    )

    found = infer_schema(content, len(content))

    assert found.header_line == 5
    assert [(c.name, c.type) for c in found.columns] == [
        ("country", "string"),
        ("code", "string"),
        ("c_1960", "double"),
        ("c_1961", "double"),
    ]


def test_a_header_line_spanning_lines_is_counted_to_its_end() -> None:
    content = b'id,"long\nname"\n1,2\n'

    assert infer_schema(content, len(content)).header_line == 2


def test_decimal_commas_are_declared_per_column() -> None:
    content = "Volume (m3);Montant (€);Commune\n97,4;1947,40;Épinal\n66,51;1330,30;Nancy\n"

    found = infer_schema(content.encode(), len(content.encode()))

    assert [(c.name, c.type) for c in found.columns] == [
        ("volume_m3", "double"),
        ("montant", "double"),
        ("commune", "string"),
    ]
    assert found.decimal_comma == {"volume_m3", "montant"}


def test_a_lone_byte_order_mark_line_is_blank() -> None:
    content = "\ufeffa,b\nx,1\ny,2\n\ufeff".encode()

    found = infer_schema(content, len(content))

    assert (found.delimiter, found.row_estimate) == (",", 2)


def test_a_record_the_csv_reader_cannot_read_is_named_by_its_line() -> None:
    content = b'a,b\n1,2\n3,"' + b"x" * 200_000 + b'"\n'

    with pytest.raises(InferenceError, match=r"cannot be read as CSV: line 3: field larger"):
        infer_schema(content, len(content))
