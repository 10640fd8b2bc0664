"""ISO 8601 date-times as the tables store them: UTC, ``Z``-suffixed, so they sort as text.

Every system stores and queries by such strings (mentions, patches, discussions); one
function reads what clients and outside APIs send.
"""

from __future__ import annotations

from datetime import UTC, datetime


class DateOutOfRangeError(ValueError):
    """An ISO 8601 date-time whose UTC time is outside the years 1-9999 Python can hold."""


def utc_iso(value: str) -> str:
    """``2026-11-20T11:00:00+01:00`` -> ``2026-11-20T10:00:00Z``; a date-time without a zone
    is taken as UTC.

    Raises:
        DateOutOfRangeError: a valid date-time whose UTC time falls before year 1 or after
            9999 (``0001-01-01T00:00:00+01:00``).
        ValueError: not an ISO 8601 date-time.
    """
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:
        raise DateOutOfRangeError(
            "out of range: in UTC it falls outside the years 0001 to 9999"
        ) from None


def query_date(value: str | None) -> str | None:
    """A ``since``/``until`` query parameter as stored (``utc_iso``), or None if absent.

    Raises:
        ValueError: with the reason a client is told (the 400 names the parameter).
    """
    if value is None:
        return None
    try:
        return utc_iso(value)
    except DateOutOfRangeError:
        raise
    except ValueError:
        raise ValueError("not an ISO 8601 date-time (e.g. 2026-11-20T10:00:00Z)") from None
