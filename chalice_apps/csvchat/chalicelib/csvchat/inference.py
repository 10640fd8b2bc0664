"""What a CSV file holds, from its first megabyte: encoding, dialect, header, column names
and types, and about how many rows, or the reason a person can act on why it cannot be a
table. Pure: it takes the bytes (a Range GET of the head, never the whole file) and the
object's size, so it costs the same for a 1 MB file and a 1 GB one.

The dialect is found with ``csv.Sniffer``, checked against every candidate delimiter by how
consistently each splits the sample (the sniffer alone is easily fooled by a comma inside
text); the encoding is UTF-8 (with or without a BOM), UTF-16 with a BOM, or else Latin-1,
the three that both Athena's SerDe and the local engine read. DuckDB's sniffer would do the
same with a 20 MB wheel in the zip and on every cold start; the head is small enough that
the standard library is fast (bench/csvchat_bench.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

from chalicelib.csvchat.identifiers import identifiers
from shared.errors import FleetError

# Seed target: schema inference reads at most this much of a file.
HEAD_BYTES = 1 << 20
# The sniffer's sample: enough lines for it, small enough to stay fast on wide files.
SNIFF_BYTES = 32 << 10
DELIMITERS = (",", ";", "\t", "|")
# A dataset's columns live in one DynamoDB item (400 KB) and one Glue table.
MAX_COLUMNS = 4000
# Share of control characters above which the bytes are not text.
BINARY_SHARE = 0.01
_MAGIC = (b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\x1f\x8b", b"\xd0\xcf\x11\xe0", b"BZh", b"\x7fELF")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BIGINT = re.compile(r"[+-]?\d{1,19}")
_DOUBLE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_BOOLEAN = frozenset({"true", "false"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,9})?")
# From the narrowest to the widest: a column takes the first type all its values fit.
TYPES = ("boolean", "bigint", "double", "date", "timestamp", "string")
_INT64 = 1 << 63


class InferenceError(FleetError):
    """The file cannot be a table; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class Column:
    name: str  # the identifier Athena knows it by
    type: str  # one of TYPES
    source_name: str  # as the header wrote it


@dataclass(frozen=True)
class CsvSchema:
    encoding: str  # utf-8, utf-8-sig, utf-16 or latin-1 (Python's codec names)
    delimiter: str
    quotechar: str
    columns: tuple[Column, ...]
    row_estimate: int
    # Quoted fields hold line breaks (Athena's CSV SerDe would read them as new rows).
    multiline_fields: bool = False


def _fits(value: str, kind: str) -> bool:
    if kind == "boolean":
        return value.lower() in _BOOLEAN
    if kind == "bigint":
        return bool(_BIGINT.fullmatch(value)) and -_INT64 <= int(value) < _INT64
    if kind == "double":
        return bool(_DOUBLE.fullmatch(value))
    if kind == "date":
        return bool(_DATE.fullmatch(value))
    if kind == "timestamp":
        return bool(_TIMESTAMP.fullmatch(value)) or bool(_DATE.fullmatch(value))
    return True


def column_type(values: list[str]) -> str:
    """The narrowest type every non-empty value fits (empty values are NULLs)."""
    present = [v.strip() for v in values if v.strip()]
    if not present:
        return "string"
    for kind in TYPES:
        if all(_fits(v, kind) for v in present):
            return kind
    return "string"


def _encoding(head: bytes) -> tuple[str, str]:
    """The codec and the decoded head (a character cut at the end of the head dropped)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", codecs.getincrementaldecoder("utf-16")("replace").decode(head)
    if any(head.startswith(magic) for magic in _MAGIC) or b"\x00" in head:
        raise InferenceError(
            "not text: the file looks binary (a spreadsheet, archive or "
            "image?); export it as CSV and upload that"
        )
    codec = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return codec, codecs.getincrementaldecoder(codec)().decode(head, final=False)
    except UnicodeDecodeError:
        return "latin-1", head.decode("latin-1")


def _records(text: str, delimiter: str, quotechar: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    try:
        return [row for row in reader if row]
    except csv.Error:
        return []


def _consistency(records: list[list[str]]) -> tuple[float, int]:
    """How well a delimiter splits: the share of rows with the usual field count, and it."""
    if not records:
        return 0.0, 0
    width, count = Counter(len(r) for r in records).most_common(1)[0]
    return count / len(records), width


def _dialect(sample: str, text: str) -> tuple[str, str, list[list[str]]]:
    """The delimiter and quote character, and the head's records split with them."""
    quotechar, candidates = '"', list(DELIMITERS)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS))
        quotechar = sniffed.quotechar or '"'
        candidates.remove(sniffed.delimiter)
        candidates.insert(0, sniffed.delimiter)
    except csv.Error:
        pass
    best: tuple[tuple[float, int], str, list[list[str]]] | None = None
    for delimiter in candidates:
        records = _records(sample, delimiter, quotechar)
        share, width = _consistency(records)
        # Splitting into more than one column, consistently, beats splitting at all.
        score = (round(share, 2) if width > 1 else 0.0, width)
        if best is None or score > best[0]:
            best = (score, delimiter, records)
    assert best is not None
    delimiter = best[1]
    return delimiter, quotechar, _records(text, delimiter, quotechar)


def _ragged(records: list[list[str]], width: int) -> str | None:
    wrong = [(n, len(r)) for n, r in enumerate(records, start=1) if len(r) != width]
    if not wrong:
        return None
    fields = Counter(w for _, w in wrong).most_common(1)[0][0]
    rows = [n for n, w in wrong if w == fields]
    shown = ", ".join(str(n) for n in rows[:5]) + (" …" if len(rows) > 5 else "")
    row_word = "row" if len(rows) == 1 else "rows"
    verb = "has" if len(rows) == 1 else "have"
    field_word = "field" if fields == 1 else "fields"
    return f"{row_word} {shown} {verb} {fields} {field_word}, the header {width}"


def _has_header(first: list[str], types: list[str]) -> bool:
    """A header when the first row does not fit the types the other rows have; when every
    column is text there is no telling, and a header is assumed (as DuckDB's sniffer does)."""
    if all(kind == "string" for kind in types):
        return True
    return any(
        value.strip() and not _fits(value.strip(), kind)
        for value, kind in zip(first, types, strict=True)
    )


def infer_schema(head: bytes, size: int) -> CsvSchema:
    """The schema of a CSV file from its first ``HEAD_BYTES`` (``head``) and its ``size``.

    Raises:
        InferenceError: empty, binary, no header row, only a header, rows whose field count
            differs from the header's, or too many columns; the message says which.
    """
    head = head[:HEAD_BYTES]
    if size == 0 or not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise InferenceError("the file is empty")
    encoding, text = _encoding(head)
    if len(head) < size:  # the head ends mid-line: keep whole lines only
        text = text[: text.rfind("\n") + 1] or text
    if len(_CONTROL.findall(text[:SNIFF_BYTES])) > BINARY_SHARE * min(len(text), SNIFF_BYTES):
        raise InferenceError(
            "not text: the file has control characters a CSV file does "
            "not; export it as CSV and upload that"
        )
    text = text.lstrip("\ufeff")
    delimiter, quotechar, records = _dialect(text[:SNIFF_BYTES], text)
    if not records:
        raise InferenceError("no rows could be read: check that the file is CSV text")
    header, rows = records[0], records[1:]
    if len(header) > MAX_COLUMNS:
        raise InferenceError(f"the file has {len(header)} columns; at most {MAX_COLUMNS} fit")
    ragged = _ragged(records, len(header))
    if ragged:
        raise InferenceError(ragged)
    if not rows:
        raise InferenceError("the file has a header line but no rows")
    types = [column_type([row[i] for row in rows]) for i in range(len(header))]
    if not _has_header(header, types):
        shown = delimiter.join(header)[:60]
        raise InferenceError(
            f"no header row: the first line ({shown}) holds data; add a "
            "line of column names and upload again"
        )
    names = identifiers(header)
    sample_bytes = len(text.encode(encoding if encoding != "utf-16" else "utf-16-le")) or 1
    estimate = len(rows) if len(head) >= size else round(len(records) * size / sample_bytes) - 1
    return CsvSchema(
        encoding=encoding,
        delimiter=delimiter,
        quotechar=quotechar,
        columns=tuple(
            Column(name, kind, source.strip())
            for name, kind, source in zip(names, types, header, strict=True)
        ),
        row_estimate=max(estimate, len(rows)),
        multiline_fields=any("\n" in value for row in records for value in row),
    )
