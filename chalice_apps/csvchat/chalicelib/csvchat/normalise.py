"""An uploaded CSV's rows as JSON Lines: the copy of the dataset Athena reads, with the
values typed as the schema declares them.

Why a copy: Athena reads a table through its SerDe, and no CSV SerDe reads what people
write. OpenCSVSerde has no decimal-separator setting, reads ``date`` and ``timestamp`` only
as epoch numbers and takes ``NA`` for text; LazySimpleSerDe cannot read quoted fields. So
the values are normalised once, here, into a format Athena reads natively.

Why JSON Lines (read by ``org.openx.data.jsonserde.JsonSerDe``): it is written with the
standard library, so the Lambda zip stays small (Parquet needs pyarrow, tens of MB), and
every declared type has a spelling the SerDe parses:

- ``bigint`` and ``double``: JSON numbers (a decimal comma becomes a point);
- ``boolean``: ``true`` / ``false``;
- ``date``: ``"yyyy-MM-dd"``;
- ``timestamp``: ``"yyyy-MM-dd HH:mm:ss.SSS"`` (``java.sql.Timestamp.valueOf``, the SerDe's
  default), in UTC when the value had ``Z`` or an offset, as written otherwise;
- ``string``: the text as written, codes with leading zeros included;
- missing (``NA``, ``N/A``, ``null``, ``-``, empty, ``inference.MISSING``) in any column,
  and a value that does not fit its column's type (inference saw only the head): ``null``,
  so aggregates skip them.

A record holds its line breaks escaped, so quoted fields spanning lines read right. Fields
past the declared columns are dropped (trailing separators); a short row's missing fields
are ``null``. Blank lines and the lines up to the header (``header_line``) are skipped.
Pure: it reads a text stream and yields bytes, row by row, never the whole file.
"""

from __future__ import annotations

import csv
import json
import math
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TextIO

from chalicelib.csvchat.inference import BLANK, MISSING, CsvSchema, fits, is_comma_double
from shared.errors import FleetError

# How many rows' JSON go to the compressor at once (fewer, larger calls are faster).
BATCH_ROWS = 1000
# zlib's level for the copy. On rows of mostly distinct values, level 1 adds about 3% to
# the normalising's CPU time and leaves the JSON a sixth of its size (a third of the CSV's);
# level 6 costs 12% more for a fifth less. Athena bills the compressed bytes it scans.
GZIP_LEVEL = 1
_GZIP_WBITS = 31  # zlib's gzip container (with mtime 0: the same rows, the same bytes)
# Distinct values remembered per column: dates, flags and categories repeat, so most
# values of such a column are read once.
CACHED_VALUES = 4096
_NULL = "null"
_string = json.JSONEncoder(ensure_ascii=False).encode

# A present value (stripped of blanks) as JSON text, or None where it does not fit.
Convert = Callable[[str], str | None]


class NormaliseError(FleetError):
    """The file stops being CSV past the head inference read; the message says where."""


def _boolean(text: str) -> str | None:
    return text.lower() if fits(text, "boolean") else None


def _bigint(text: str) -> str | None:
    return str(int(text)) if fits(text, "bigint") else None


def _number(text: str) -> str | None:
    """A JSON number; None past a double's range (``1e400`` is no JSON number)."""
    number = float(text)
    return repr(number) if math.isfinite(number) else None


def _double(text: str) -> str | None:
    return _number(text) if fits(text, "double") else None


def _comma_double(text: str) -> str | None:
    if is_comma_double(text):
        return _number(text.replace(",", "."))
    return _double(text)


def _date(text: str) -> str | None:
    return f'"{text}"' if fits(text, "date") else None


def _timestamp(text: str) -> str | None:
    if not fits(text, "timestamp"):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # a time the pattern admits but the clock does not (25:00)
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return f'"{moment.isoformat(sep=" ", timespec="milliseconds")}"'


_TYPED: dict[str, Convert] = {
    "boolean": _boolean,
    "bigint": _bigint,
    "double": _double,
    "date": _date,
    "timestamp": _timestamp,
}


class _Column:
    """One column's fields as JSON text: ``null`` when missing or not of the type
    (``convert``; None for text, kept as written). ``seen`` holds up to
    ``CACHED_VALUES`` distinct fields' text, looked up before anything is called."""

    def __init__(self, convert: Convert | None) -> None:
        self.convert = convert
        self.seen: dict[str, str] = {}

    def encode(self, field: str) -> str:
        text = field.strip(BLANK)
        if text.lower() in MISSING:
            encoded = _NULL
        elif self.convert is None:
            encoded = _string(field)
        else:
            encoded = self.convert(text) or _NULL
        if len(self.seen) < CACHED_VALUES:
            self.seen[field] = encoded
        return encoded


class RowWriter:
    """Records of one schema as JSON Lines (one writer per file: it caches values);
    ``rows`` counts the lines written."""

    def __init__(self, schema: CsvSchema) -> None:
        columns = [
            _Column(_comma_double if c.name in schema.decimal_comma else _TYPED.get(c.type))
            for c in schema.columns
        ]
        self._keys = [_string(column.name) + ":" for column in schema.columns]
        self._seen = [column.seen for column in columns]
        self._encode = [column.encode for column in columns]
        self._padding = [""] * len(columns)
        self.rows = 0

    def line(self, fields: list[str]) -> str:
        """One record as the JSON object Athena reads, without its line break."""
        if len(fields) < len(self._keys):
            fields = fields + self._padding[len(fields) :]
        self.rows += 1
        # Fields past the declared columns (trailing separators) are dropped.
        pairs = zip(self._keys, self._seen, self._encode, fields, strict=False)
        # The hot loop of the copy: a cached field costs a dict lookup, no call.
        return "{" + ",".join([k + (s.get(f) or e(f)) for k, s, e, f in pairs]) + "}"


def records(text: TextIO, schema: CsvSchema) -> Iterator[list[str]]:
    """The data records of the file ``text`` (the header and what is above it skipped).

    Raises:
        NormaliseError: a record cannot be read as CSV (with its line).
    """
    reader = csv.reader(text, delimiter=schema.delimiter, quotechar=schema.quotechar)
    line = 1  # where the next record starts
    try:
        for fields in reader:
            if reader.line_num > schema.header_line and any(f.strip(BLANK) for f in fields):
                yield fields
            line = reader.line_num + 1
    except csv.Error as err:
        raise NormaliseError(f"line {line} cannot be read as CSV: {err}") from err


def json_lines(rows: Iterable[list[str]], writer: RowWriter) -> Iterator[bytes]:
    """UTF-8 JSON Lines, one object per row, in batches of ``BATCH_ROWS`` rows."""
    batch: list[str] = []
    for fields in rows:
        batch.append(writer.line(fields))
        if len(batch) == BATCH_ROWS:
            yield ("\n".join(batch) + "\n").encode()
            batch.clear()
    if batch:
        yield ("\n".join(batch) + "\n").encode()


def gzipped(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` compressed as one gzip member (Athena and DuckDB read ``.gz`` objects)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
    for chunk in chunks:
        compressed = compressor.compress(chunk)
        if compressed:
            yield compressed
    yield compressor.flush()
