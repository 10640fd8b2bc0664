"""What a CSV file holds, from its first megabyte: encoding, dialect, where the header is,
column names and types, and about how many rows, or the reason (with the line) a person can
act on why it cannot be a table. Pure: it takes the bytes (a Range GET of the head, never
the whole file) and the object's size, so it costs the same for a 1 MB file and a 1 GB one.

Read as people's files are written, not as RFC 4180 says:

- the dialect is found with ``csv.Sniffer``, checked against every candidate delimiter by
  how consistently each splits the sample (the sniffer alone is easily fooled by a comma
  inside text); the encoding is UTF-8 (with or without a BOM), UTF-16 with a BOM, or else
  Latin-1 (the copy Athena reads is rewritten in UTF-8: ``normalise``);
- a NUL or another stray control byte in text is kept (a character of its value); only a
  file whose share of them says "binary" is refused;
- lines before the header (an export's title, a date, blank lines) are skipped: the header
  is the first row the rows below agree with (as wide, and nothing past it);
  ``header_line`` says how many lines the copy skips;
- a separator at the end of every line adds no column: trailing columns with no name and no
  value are dropped (the copy ignores fields past the declared columns);
- ``NA``, ``N/A``, ``null``, ``NULL``, ``-`` and empty values are missing: they do not decide
  a column's type, and the copy writes them as null, so aggregates skip them;
- numbers with leading zeros (``063``, ``000009113186``) are codes: their column is text;
- ISO 8601 timestamps with ``Z`` or an offset are timestamps (read in UTC);
- decimal commas (``97,4``) make a ``double`` where the separator is not a comma; the
  schema's ``decimal_comma`` names those columns, whose values the copy rewrites with a
  point.

DuckDB's sniffer does much the same with a 20 MB wheel in the zip and on every cold start;
the head is small enough that the standard library is fast (bench/csvchat_bench.py).
``tests/functional/test_csvchat_realdata.py`` compares the two on real files and lists
where they differ, and why.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

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
# Lines of preamble looked through for the header, and how many of the rows below must
# agree with a candidate (out of the next AGREEMENT_SAMPLE) for it to be the header.
MAX_PREAMBLE = 30
AGREEMENT_SAMPLE = 200
AGREEMENT = 0.9
# How people write "no value" (compared in lower case, spaces stripped).
MISSING = frozenset({"", "na", "n/a", "null", "-"})
_MAGIC = (b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\x1f\x8b", b"\xd0\xcf\x11\xe0", b"BZh", b"\x7fELF")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BLANK = " \t\ufeff"
# Numbers as Athena parses them; an integer part with a leading zero (063) is a code.
_BIGINT = re.compile(r"[+-]?(0|[1-9]\d{0,18})")
_DOUBLE = re.compile(r"[+-]?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_COMMA_DOUBLE = re.compile(r"[+-]?(0|[1-9]\d*),\d+([eE][+-]?\d+)?")
_BOOLEAN = frozenset({"true", "false"})
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?"
)
# From the narrowest to the widest: a column takes the first type all its values fit.
TYPES = ("boolean", "bigint", "double", "date", "timestamp", "string")
_INT64 = 1 << 63


class InferenceError(FleetError):
    """The file cannot be a table; the message says why (and where), for the person who
    uploaded it."""


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
    # The header's last line (1-based): the copy skips this many lines of the file.
    header_line: int = 1
    # Names of the double columns written with a decimal comma.
    decimal_comma: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Record:
    line: int  # where it starts
    end: int  # where it ends (a quoted line break spans lines)
    fields: list[str]


def is_missing(value: str) -> bool:
    return value.strip(BLANK).lower() in MISSING


def fits(value: str, kind: str) -> bool:
    if kind == "boolean":
        return value.lower() in _BOOLEAN
    if kind == "bigint":
        return bool(_BIGINT.fullmatch(value)) and (
            len(value) < 19 or -_INT64 <= int(value) < _INT64
        )
    if kind == "double":
        return bool(_DOUBLE.fullmatch(value))
    if kind == "date":
        return _valid_date(value)
    if kind == "timestamp":
        return _valid_date(value) or (bool(_TIMESTAMP.fullmatch(value)) and _valid_date(value[:10]))
    return True


def _valid_date(value: str) -> bool:
    found = _DATE.fullmatch(value)
    if not found:
        return False
    try:
        date(*(int(part) for part in found.groups()))
    except ValueError:
        return False
    return True


def is_comma_double(value: str) -> bool:
    return bool(_COMMA_DOUBLE.fullmatch(value))


def column_type(values: list[str], *, comma_decimals: bool = False) -> tuple[str, bool]:
    """The narrowest type every present value fits (missing values, ``MISSING``, do not
    count), and whether it is a double written with decimal commas (only considered when
    ``comma_decimals``: the separator is not a comma)."""
    # Each distinct value once: most columns repeat theirs (codes, categories, flags).
    present = {
        stripped for stripped in {v.strip(BLANK) for v in values} if not is_missing(stripped)
    }
    if not present:
        return "string", False
    for kind in TYPES[:-1]:
        if all(fits(v, kind) for v in present):
            return kind, False
    if comma_decimals and all(fits(v, "double") or is_comma_double(v) for v in present):
        return "double", True
    return "string", False


def _encoding(head: bytes) -> tuple[str, str]:
    """The codec and the decoded head (a character cut at the end of the head dropped)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", codecs.getincrementaldecoder("utf-16")("replace").decode(head)
    if any(head.startswith(magic) for magic in _MAGIC):
        raise InferenceError(
            "not text: the file looks binary (a spreadsheet, archive or "
            "image?); export it as CSV and upload that"
        )
    codec = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return codec, codecs.getincrementaldecoder(codec)().decode(head, final=False)
    except UnicodeDecodeError:
        return "latin-1", head.decode("latin-1")


def _records(text: str, delimiter: str, quotechar: str) -> list[_Record]:
    """The non-blank records of ``text`` with the lines they span.

    Raises:
        csv.Error: the text is not CSV in this dialect; the message starts with the line
            of the record that could not be read.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    records: list[_Record] = []
    line = 1
    try:
        for fields in reader:
            if any(f.strip(BLANK) for f in fields):  # a blank line, or a stray BOM alone
                records.append(_Record(line, reader.line_num, fields))
            line = reader.line_num + 1
    except csv.Error as err:
        raise csv.Error(f"line {line}: {err}") from err
    return records


def _trimmed_width(fields: list[str]) -> int:
    width = len(fields)
    while width and not fields[width - 1].strip(BLANK):
        width -= 1
    return width


def _consistency(records: list[_Record]) -> tuple[float, int]:
    """How well a delimiter splits: the share of rows with the usual field count, and it."""
    if not records:
        return 0.0, 0
    width, count = Counter(len(r.fields) for r in records).most_common(1)[0]
    return count / len(records), width


def _dialect(sample: str) -> tuple[str, str]:
    """The delimiter and quote character."""
    quotechar, candidates = '"', list(DELIMITERS)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS))
        quotechar = sniffed.quotechar or '"'
        candidates.remove(sniffed.delimiter)
        candidates.insert(0, sniffed.delimiter)
    except csv.Error:
        pass
    best: tuple[tuple[float, int], str] | None = None
    for delimiter in candidates:
        try:
            records = _records(sample, delimiter, quotechar)
        except csv.Error:
            continue
        share, width = _consistency(records)
        # Splitting into more than one column, consistently, beats splitting at all.
        score = (round(share, 2) if width > 1 else 0.0, width)
        if best is None or score > best[0]:
            best = (score, delimiter)
    return (best[1] if best else ","), quotechar


def _agrees(record: _Record, width: int) -> bool:
    """The record fits under a header of ``width`` names: at least as wide, and nothing
    but empty fields (trailing separators) past it."""
    return len(record.fields) >= width and not any(f.strip(BLANK) for f in record.fields[width:])


def _header_index(records: list[_Record]) -> int:
    """The first record that the rows below agree with (``_agrees``, nine in ten of the
    next ``AGREEMENT_SAMPLE``) and that every record above is at most half as wide as (a
    preamble is a title, a source, a date, not rows of the table). When there is none, the
    first record, so that what is wrong is reported against it."""
    widest_above = 0
    for index, record in enumerate(records[: MAX_PREAMBLE + 1]):
        width = _trimmed_width(record.fields)
        below = records[index + 1 : index + 1 + AGREEMENT_SAMPLE]
        if (
            2 * widest_above <= width
            and below
            and sum(_agrees(r, width) for r in below) >= AGREEMENT * len(below)
        ):
            return index
        widest_above = max(widest_above, width)
    return 0


def _ragged(rows: list[_Record], width: int, header: _Record) -> str | None:
    """Rows that are narrower than the header, or wider with values past it."""
    wrong = [(r.line, len(r.fields)) for r in rows if not _agrees(r, width)]
    if not wrong:
        return None
    fields = Counter(w for _, w in wrong).most_common(1)[0][0]
    lines = [n for n, w in wrong if w == fields]
    shown = ", ".join(str(n) for n in lines[:5]) + (" …" if len(lines) > 5 else "")
    line_word = "line" if len(lines) == 1 else "lines"
    verb = "has" if len(lines) == 1 else "have"
    field_word = "field" if fields == 1 else "fields"
    return (
        f"{line_word} {shown} {verb} {fields} {field_word}, the header (line {header.line}) {width}"
    )


def _kept_width(header: list[str], rows: list[_Record]) -> int:
    """The header's width less trailing columns that have neither a name nor a value."""
    width = len(header)
    while width > 1 and not header[width - 1].strip(BLANK):
        column = width - 1
        if any(column < len(r.fields) and r.fields[column].strip(BLANK) for r in rows):
            break
        width -= 1
    return width


def _has_header(first: list[str], types: list[str]) -> bool:
    """A header when the first row does not fit the types the other rows have; when every
    column is text there is no telling, and a header is assumed (as DuckDB's sniffer does)."""
    if all(kind == "string" for kind in types):
        return True
    return any(
        not is_missing(value) and not fits(value.strip(BLANK), kind)
        for value, kind in zip(first, types, strict=True)
    )


def _read(text: str, delimiter: str, quotechar: str) -> list[_Record]:
    try:
        return _records(text, delimiter, quotechar)
    except csv.Error as err:
        raise InferenceError(f"the file cannot be read as CSV: {err}") from err


def infer_schema(head: bytes, size: int) -> CsvSchema:
    """The schema of a CSV file from its first ``HEAD_BYTES`` (``head``) and its ``size``.

    Raises:
        InferenceError: empty, binary, no header row, only a header, rows whose field count
            differs from the header's (with their lines), or too many columns; the message
            says which.
    """
    head = head[:HEAD_BYTES]
    if size == 0 or not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise InferenceError("the file is empty")
    encoding, text = _encoding(head)
    if len(head) < size:  # the head ends mid-line: keep whole lines only
        text = text[: text.rfind("\n") + 1] or text
    controls = len(_CONTROL.findall(text[:SNIFF_BYTES]))
    if controls > BINARY_SHARE * min(len(text), SNIFF_BYTES):
        raise InferenceError(
            "not text: the file has control characters a CSV file does "
            "not; export it as CSV and upload that"
        )
    text = text.lstrip("\ufeff")
    delimiter, quotechar = _dialect(text[:SNIFF_BYTES])
    records = _read(text, delimiter, quotechar)
    if not records:
        raise InferenceError("no rows could be read: check that the file is CSV text")
    start = _header_index(records)
    header, rows = records[start], records[start + 1 :]
    if len(header.fields) > MAX_COLUMNS:
        raise InferenceError(
            f"the file has {len(header.fields)} columns; at most {MAX_COLUMNS} fit"
        )
    ragged = _ragged(rows, _trimmed_width(header.fields), header)
    if ragged:
        raise InferenceError(ragged)
    if not rows:
        raise InferenceError(f"the file has a header line (line {header.line}) but no rows")
    width = _kept_width(header.fields, rows)
    found = [
        column_type(
            [r.fields[i] if i < len(r.fields) else "" for r in rows],
            comma_decimals=delimiter != ",",
        )
        for i in range(width)
    ]
    types = [kind for kind, _ in found]
    names_written = header.fields[:width]
    # A preamble is there to introduce a header; without one, the first row must differ.
    if start == 0 and not _has_header(names_written, types):
        shown = delimiter.join(names_written)[:60]
        raise InferenceError(
            f"no header row: line {header.line} ({shown}) holds data; add a "
            "line of column names and upload again"
        )
    names = identifiers(names_written)
    sample_bytes = len(text.encode(encoding if encoding != "utf-16" else "utf-16-le")) or 1
    whole = len(head) >= size
    estimate = len(rows) if whole else round(len(rows) * size / sample_bytes)
    return CsvSchema(
        encoding=encoding,
        delimiter=delimiter,
        quotechar=quotechar,
        columns=tuple(
            Column(name, kind, source.strip(BLANK))
            for name, kind, source in zip(names, types, names_written, strict=True)
        ),
        row_estimate=max(estimate, len(rows)),
        header_line=header.end,
        decimal_comma=frozenset(
            name for name, (_, comma) in zip(names, found, strict=True) if comma
        ),
    )
