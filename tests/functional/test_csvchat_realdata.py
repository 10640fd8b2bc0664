"""Real CSV files (``../shared/realdata/csv/``, read in place, and the Palmer penguins data
as the ``palmerpenguins`` package ships it) through csvchat's processing path and the local
Athena engine: what inference finds, compared with DuckDB's sniffer on every file with each
kept difference explained, and what queries then read.

The stack is moto (S3, Glue, DynamoDB) with the local Athena's engine on top: an object is
uploaded, ``process_object`` infers it, writes its normalised copy and declares its Glue
table over the copy, and the engine reads the copy as the table's SerDe says. Expected
figures are computed from the raw files here, as a person reading them would.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.metadata
import io
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import mean
from typing import Any

import boto3
import duckdb
import pytest
from moto import mock_aws

from chalicelib.csvchat.catalog import JSON_SERDE, table_name
from chalicelib.csvchat.datasets import DatasetRepository
from chalicelib.csvchat.inference import HEAD_BYTES, InferenceError, infer_schema
from chalicelib.csvchat.processing import ProcessingDeps, process_object
from devstack.services.athena.sql import Engine
from shared.errors import TransientError
from tests.conftest import REGION

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "csv"
BUCKET = "csvchat-uploads-test"
DATABASE = "csvchat_test"
OWNER = "owner-1"

# DuckDB's sniffer types as inference names them.
_DUCK = {
    "BIGINT": "bigint",
    "INTEGER": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "VARCHAR": "string",
}
_TRAILING = "every line ends with a separator: DuckDB names an empty column, we drop it"
_DECIMAL_COMMA = "decimal commas under a ';' separator: a double here, text for DuckDB"
# Every difference from DuckDB's sniffer kept on purpose: (what, DuckDB's, ours) -> why.
KNOWN_DIFFERENCES: dict[str, dict[tuple[str, object, object], str]] = {
    "cartolavage.csv": {
        ("longitude", "string", "double"): _DECIMAL_COMMA,
        ("latitude", "string", "double"): _DECIMAL_COMMA,
    },
    "decimal-separators.csv": {
        ("commas", "string", "double"): _DECIMAL_COMMA,
        ("periods", "string", "double"): "1.1, 0.25, 1.53e4, +1.53e4 and -1.53e4 are all "
        "doubles Athena reads; DuckDB's sniffer keeps the column text",
    },
    "demarches-pcaet-v2.csv": {
        ("read", "fails", "fails"): "a ragged export (rows of 134 to 151 fields): neither "
        "reads it; ours names the lines",
    },
    "empty-number-values.csv": {
        ("r2", "string", "bigint"): "numbers or a lone space: a blank value is missing "
        "for us, text for DuckDB",
        ("r3", "string", "bigint"): "numbers or a lone space: a blank value is missing "
        "for us, text for DuckDB",
    },
    "formatting-issues.csv": {
        ("header", False, True): "DuckDB sees only text (its numbers have decimal commas) "
        "and guesses no header; its first line is the header",
        ("width", 11, 6): "five trailing columns with neither a name nor a value dropped",
    },
    "ncvoter-head.tsv": {
        ("registr_dt", "date", "string"): "MM/DD/YYYY dates: Athena's date type reads ISO "
        "dates only, and 10/08/2008 is ambiguous: text",
    },
    "ncvoter-noheader.csv": {
        ("read", "reads", "fails"): "no header: DuckDB names columns column00...; we ask "
        "for a line of names (the message names line 1) since people ask about columns "
        "by name",
    },
    "ontime-sample.csv": {("width", 110, 109): _TRAILING},
    "salles-sur-yffiniac.csv": {
        ("delimiter", "|", ","): "DuckDB is fooled by the last line, a lone byte-order "
        "mark (two files joined), which we skip as blank",
        ("width", 1, 5): "the same: DuckDB reads one column",
    },
    "utf16-images.csv": {
        ("read", "fails", "reads"): "UTF-16 with a BOM: DuckDB's sniffer needs the "
        "encoding given; we read the BOM",
    },
    "weather-nyc-2016.csv": {
        ("date_", "date", "string"): "d-m-yyyy dates (1-1-2016): Athena's date type reads "
        "ISO dates only: text",
    },
    "worldbank-gdp-head.csv": {("width", 63, 62): _TRAILING},
}


def differences(path: Path) -> dict[tuple[str, object, object], None]:
    """Where inference and DuckDB's sniffer disagree on ``path``: whether each reads it,
    the delimiter, whether there is a header, the width, each common column's type."""
    try:
        row = (
            duckdb.connect()
            .execute("SELECT Delimiter, HasHeader, Columns FROM sniff_csv(?)", [str(path)])
            .fetchall()[0]
        )
        duck: tuple[str, bool, list[str]] | None = (
            row[0],
            row[1],
            [_DUCK.get(c["type"], c["type"]) for c in row[2]],
        )
    except duckdb.Error:
        duck = None
    data = path.read_bytes()
    try:
        schema = infer_schema(data, len(data))
    except InferenceError:
        schema = None
    if duck is None or schema is None:
        verdict = ("read", "fails" if duck is None else "reads", "fails" if not schema else "reads")
        return {verdict: None}
    found: dict[tuple[str, object, object], None] = {}
    if duck[0] != schema.delimiter:
        found[("delimiter", duck[0], schema.delimiter)] = None
    if duck[1] is not True:
        found[("header", duck[1], True)] = None
    if len(duck[2]) != len(schema.columns):
        found[("width", len(duck[2]), len(schema.columns))] = None
    if duck[1] is True:
        for column, theirs in zip(schema.columns, duck[2], strict=False):
            if theirs != column.type:
                found[(column.name, theirs, column.type)] = None
    return found


@pytest.mark.parametrize("path", sorted(REALDATA.glob("*")) or [REALDATA], ids=lambda p: p.name)
def test_inference_agrees_with_duckdbs_sniffer_but_for_the_differences_explained(
    path: Path,
) -> None:
    assert set(differences(path)) == set(KNOWN_DIFFERENCES.get(path.name, {}))


@dataclass
class Stack:
    deps: ProcessingDeps
    engine: Engine

    def upload(self, name: str, content: bytes) -> str:
        """Store ``content`` as a new dataset's upload, not processed yet; its key."""
        dataset_id = uuid.uuid4().hex
        key = f"datasets/{OWNER}/{dataset_id}/{name}"
        self.deps.datasets.create(
            {
                "owner": OWNER,
                "dataset_id": dataset_id,
                "key": key,
                "filename": name,
                "declared_size": len(content),
                "status": "uploading",
            }
        )
        self.deps.s3.put_object(Bucket=BUCKET, Key=key, Body=content)
        return key

    def load(self, name: str, content: bytes) -> str:
        """Upload ``content`` as a new dataset and process it; its table."""
        key = self.upload(name, content)
        outcome = process_object(self.deps, key, len(content))
        item = self.deps.datasets.get(OWNER, key.split("/")[2]) or {}
        assert outcome == "ready", item.get("reason")
        return table_name(key.split("/")[2])

    def query(self, sql: str) -> list[list[str | None]]:
        return self.engine.run(sql, DATABASE, None, 60).rows


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(
            Bucket=BUCKET,
            CreateBucketConfiguration={"LocationConstraint": REGION},  # type: ignore[typeddict-item]
        )
        glue = boto3.client("glue", region_name=REGION)
        glue.create_database(DatabaseInput={"Name": DATABASE})
        table = boto3.resource("dynamodb", region_name=REGION).create_table(
            TableName="datasets",
            KeySchema=[
                {"AttributeName": "owner", "KeyType": "HASH"},
                {"AttributeName": "dataset_id", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "owner", "AttributeType": "S"},
                {"AttributeName": "dataset_id", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        deps = ProcessingDeps(
            s3, glue, DatasetRepository(table), BUCKET, DATABASE, lambda: "2026-12-06T12:00:00Z"
        )
        yield Stack(deps, Engine(s3, glue, tmp_path))


def penguins_csv() -> Path:
    """The penguins CSV inside the installed ``palmerpenguins`` wheel, found without
    importing the package (which needs pandas)."""
    try:
        found = importlib.metadata.distribution("palmerpenguins").locate_file(
            "palmerpenguins/data/penguins.csv"
        )
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("palmerpenguins (the penguins data) is not installed: make install")
    return Path(str(found))


def test_average_body_mass_by_species_skips_the_na_values(stack: Stack) -> None:
    # GIVEN the penguins data, whose missing measurements are written NA
    path = penguins_csv()
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    masses: dict[str, list[int]] = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        if row["body_mass_g"] != "NA":
            masses.setdefault(row["species"], []).append(int(row["body_mass_g"]))
    # WHEN it is uploaded and asked "average body mass by species"
    table = stack.load("penguins.csv", path.read_bytes())
    rows = stack.query(
        f"SELECT species, avg(body_mass_g), count(body_mass_g), count(*) FROM {table} "
        "GROUP BY species ORDER BY species"
    )
    # THEN each species' average is over its measured penguins only
    assert [(r[0], round(float(r[1] or 0), 3), int(r[2] or 0)) for r in rows] == [
        (species, round(mean(values), 3), len(values)) for species, values in sorted(masses.items())
    ]
    assert [r[0] for r in rows] == ["Adelie", "Chinstrap", "Gentoo"]
    assert round(float(rows[0][1] or 0), 2) == 3700.66  # the figure every tutorial prints
    assert sum(int(r[3] or 0) for r in rows) == 344


def test_decimal_commas_read_the_same_numbers_as_decimal_points(stack: Stack) -> None:
    table = stack.load("decimal-separators.csv", (REALDATA / "decimal-separators.csv").read_bytes())

    rows = stack.query(f"SELECT commas, periods FROM {table}")

    assert [[float(a or "nan") for a in row] for row in rows] == [
        [1.1, 1.1],
        [0.25, 0.25],
        [15300.0, 15300.0],
        [15300.0, 15300.0],
        [-15300.0, -15300.0],
    ]


def test_a_preamble_and_trailing_separators_are_skipped_as_the_table_declares(
    stack: Stack,
) -> None:
    table = stack.load("worldbank.csv", (REALDATA / "worldbank-gdp-head.csv").read_bytes())

    rows = stack.query(f"SELECT country_code, c_1960, c_2010 FROM {table} ORDER BY country_code")

    # The raw file: four lines of preamble, then the header naming the years.
    raw = list(
        csv.reader(io.StringIO((REALDATA / "worldbank-gdp-head.csv").read_text("utf-8-sig")))
    )
    years = raw[4].index("2010")
    expected = sorted((r[1], r[years]) for r in raw[5:] if r)
    assert [(r[0], float(r[2]) if r[2] else None) for r in rows] == [
        (code, float(value) if value else None) for code, value in expected
    ]
    assert {r[0]: r[1] for r in rows}["ABW"] is None  # Aruba's "" for 1960: NULL, not 0.0


def test_french_exports_read_their_numbers_codes_and_nul_bytes(stack: Stack) -> None:
    volumes = stack.load("formatting.csv", (REALDATA / "formatting-issues.csv").read_bytes())
    trailing = stack.load("trailing.csv", (REALDATA / "trailing-seps.csv").read_bytes())
    nuls = stack.load("rge.csv", (REALDATA / "rge-null-chars.csv").read_bytes())

    [[total, first]] = stack.query(f"SELECT sum(volume_m3), min(montant) FROM {volumes}")
    [[passengers, rows]] = stack.query(f"SELECT sum(nombre_passagers), count(*) FROM {trailing}")
    codes = stack.query(f"SELECT code_postal, siret FROM {nuls} ORDER BY siret")

    assert float(total or 0) > 0 and float(first or 0) == 242.9
    assert (int(passengers or 0), int(rows or 0)) == (21, 7)
    assert "31600\x00" in [c[0] for c in codes]  # the NUL kept, a postcode as text


def raw_rows(name: str, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, str]]:
    """The file's records by header name, as the csv module reads them (quoted line
    breaks inside a record)."""
    with (REALDATA / name).open(encoding=encoding, newline="") as text:
        return list(csv.DictReader(text, delimiter=delimiter))


def test_the_table_is_json_over_a_copy_and_the_upload_is_kept_as_it_was(stack: Stack) -> None:
    # GIVEN a French export with decimal commas under ';'
    content = (REALDATA / "cartolavage.csv").read_bytes()
    # WHEN it is processed
    table = stack.load("cartolavage.csv", content)
    # THEN its table reads JSON Lines in the dataset's table folder, nothing else there
    declared = stack.deps.glue.get_table(DatabaseName=DATABASE, Name=table)["Table"]
    storage = declared["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == JSON_SERDE
    dataset_id = table.removeprefix("ds_")
    assert storage["Location"] == f"s3://{BUCKET}/datasets/{OWNER}/{dataset_id}/table/"
    listed = stack.deps.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"datasets/{OWNER}/{dataset_id}/")
    keys = sorted(
        o["Key"].removeprefix(f"datasets/{OWNER}/{dataset_id}/") for o in listed["Contents"]
    )
    assert keys == ["cartolavage.csv", "table/rows.json.gz"]
    # AND the upload is byte for byte what was sent
    kept = stack.deps.s3.get_object(
        Bucket=BUCKET, Key=f"datasets/{OWNER}/{dataset_id}/cartolavage.csv"
    )
    assert kept["Body"].read() == content


def test_decimal_comma_columns_sum_as_the_raw_numbers_do(stack: Stack) -> None:
    # GIVEN the raw coordinates, written 2,236558914
    rows = raw_rows("cartolavage.csv", "utf-8-sig", ";")
    longitudes = [float(r["Longitude"].replace(",", ".")) for r in rows if r["Longitude"]]
    latitudes = [float(r["Latitude"].replace(",", ".")) for r in rows if r["Latitude"]]
    # WHEN they are summed through the table
    table = stack.load("cartolavage.csv", (REALDATA / "cartolavage.csv").read_bytes())
    [[lon_sum, lon_count, lat_sum, rows_read]] = stack.query(
        f"SELECT sum(longitude), count(longitude), sum(latitude), count(*) FROM {table}"
    )
    # THEN the sums are the raw numbers' (none read as NULL)
    assert float(lon_sum or "nan") == pytest.approx(sum(longitudes), rel=1e-12)
    assert float(lat_sum or "nan") == pytest.approx(sum(latitudes), rel=1e-12)
    assert (int(lon_count or 0), int(rows_read or 0)) == (len(longitudes), len(rows))
    assert len(longitudes) > 0


def test_latin1_amounts_with_decimal_commas_sum_as_the_raw_numbers_do(stack: Stack) -> None:
    raw = raw_rows("formatting-issues.csv", "latin-1", ";")
    header = list(raw[0])
    volumes = [float(r[header[2]].replace(",", ".")) for r in raw if r[header[2]].strip()]
    amounts = [float(r[header[5]].replace(",", ".")) for r in raw if r[header[5]].strip()]

    table = stack.load("formatting.csv", (REALDATA / "formatting-issues.csv").read_bytes())
    [[volume, amount]] = stack.query(f"SELECT sum(volume_m3), sum(montant) FROM {table}")

    assert float(volume or "nan") == pytest.approx(sum(volumes), rel=1e-12)
    assert float(amount or "nan") == pytest.approx(sum(amounts), rel=1e-12)


def test_a_z_timestamp_compares_as_the_utc_instant_it_names(stack: Stack) -> None:
    # GIVEN an iCalendar export: DTSTART 2008-02-11T23:00:00.000Z, and a description
    # whose quoted line breaks span several lines
    [raw] = raw_rows("calendar.csv")
    start = dt.datetime.fromisoformat(raw["DTSTART"]).astimezone(dt.UTC).replace(tzinfo=None)
    end = dt.datetime.fromisoformat(raw["DTEND"]).astimezone(dt.UTC).replace(tzinfo=None)
    table = stack.load("calendar.csv", (REALDATA / "calendar.csv").read_bytes())
    # WHEN the timestamps are compared with literals of the same instants in UTC
    [[starts, same, before, hours, description, rows]] = stack.query(
        f"SELECT dtstart, dtstart = TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}', "
        f"count_if(dtstart < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}') OVER (), "
        "date_diff('hour', dtstart, dtend), description, count(*) OVER () "
        f"FROM {table}"
    )
    # THEN they are the instants the file wrote, and the record is one row
    assert starts == start.isoformat(sep=" ", timespec="milliseconds")
    assert (same, before) == ("true", "1")
    assert int(hours or 0) == (end - start) // dt.timedelta(hours=1)
    assert (description, rows) == (raw["DESCRIPTION"], "1")


def test_iso_dates_filter_and_group_as_the_raw_dates_do(stack: Stack) -> None:
    # GIVEN flights with ISO dates and French records with NUL bytes and ISO dates
    flights = raw_rows("ontime-sample.csv")
    middle = sorted(r["FlightDate"] for r in flights)[len(flights) // 2]
    firms = raw_rows("rge-null-chars.csv")
    ends = sorted(r["date_fin"] for r in firms if r["date_fin"])
    ontime = stack.load("ontime.csv", (REALDATA / "ontime-sample.csv").read_bytes())
    rge = stack.load("rge.csv", (REALDATA / "rge-null-chars.csv").read_bytes())
    # WHEN they are filtered by a date literal and grouped by year
    [[later]] = stack.query(f"SELECT count(*) FROM {ontime} WHERE flightdate >= DATE '{middle}'")
    years = stack.query(
        f"SELECT year(date_fin), count(*) FROM {rge} WHERE date_fin IS NOT NULL "
        "GROUP BY 1 ORDER BY 1"
    )
    [[first, last]] = stack.query(f"SELECT min(date_fin), max(date_fin) FROM {rge}")
    # THEN the counts are the raw file's
    assert int(later or 0) == sum(r["FlightDate"] >= middle for r in flights)
    expected = sorted(Counter(int(d[:4]) for d in ends).items())
    assert [(int(y or 0), int(n or 0)) for y, n in years] == expected
    assert (first, last) == (ends[0], ends[-1])


def table_objects(stack: Stack, table: str) -> list[dict[str, Any]]:
    prefix = f"datasets/{OWNER}/{table.removeprefix('ds_')}/table/"
    listed = stack.deps.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return list(listed.get("Contents", []))


def test_a_retried_message_writes_the_same_copy_and_table(stack: Stack) -> None:
    # GIVEN an upload whose first processing fails after its copy is written (Glue is
    # unreachable: here, a database that does not exist)
    content = (REALDATA / "decimal-separators.csv").read_bytes()
    key = stack.upload("retried.csv", content)
    failing = replace(stack.deps, database="no_such_database")
    with pytest.raises(TransientError):
        process_object(failing, key, len(content))
    [first] = table_objects(stack, table_name(key.split("/")[2]))
    # WHEN the message comes back and is processed again
    outcome = process_object(stack.deps, key, len(content))
    # THEN the dataset is ready over one copy, the same bytes as the first attempt's
    table = table_name(key.split("/")[2])
    [again] = table_objects(stack, table)
    assert (outcome, again["Key"], again["ETag"]) == ("ready", first["Key"], first["ETag"])
    rows = len(raw_rows("decimal-separators.csv", delimiter=";"))
    assert stack.query(f"SELECT count(*) FROM {table}") == [[str(rows)]]
    # AND a third delivery (the dataset is ready) changes nothing
    assert process_object(stack.deps, key, len(content)) == "already processed"


def test_the_copys_own_event_is_dropped(stack: Stack) -> None:
    table = stack.load("sep.csv", (REALDATA / "decimal-separators.csv").read_bytes())
    [copy] = table_objects(stack, table)

    assert process_object(stack.deps, copy["Key"], copy["Size"]) == "copy"


def test_a_file_that_stops_being_csv_past_its_head_fails_with_the_line(stack: Stack) -> None:
    # GIVEN a file whose first megabyte is fine and whose last line holds a field longer
    # than any CSV reader takes
    rows = b"".join(b"%d,ok\n" % i for i in range(HEAD_BYTES // 6))
    content = b"n,text\n" + rows + b"1," + b"x" * (1 << 20) + b"\n"
    key = stack.upload("long.csv", content)
    # WHEN it is processed
    outcome = process_object(stack.deps, key, len(content))
    # THEN the dataset failed, naming the line, and no copy or table is left
    item = stack.deps.datasets.get(OWNER, key.split("/")[2]) or {}
    assert (outcome, item["status"]) == ("failed", "failed")
    last_line = content.count(b"\n")
    assert f"line {last_line} " in item["reason"]
    assert table_objects(stack, table_name(key.split("/")[2])) == []
