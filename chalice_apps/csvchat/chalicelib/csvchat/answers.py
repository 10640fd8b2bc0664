"""A query's rows in one or two sentences, written by code rather than a second model call:
the reply must come in under 2 s (seed), and numbers copied by code are never misread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LISTED = 5


def _value(value: str | None) -> str:
    return "nothing" if value is None else value


def in_words(
    columns: Sequence[dict[str, Any]], rows: Sequence[Sequence[str | None]], explanation: str
) -> str:
    """``explanation`` (the model's sentence) followed by what the rows say."""
    lead = explanation.strip().rstrip(".")
    lead = (lead[:1].upper() + lead[1:] + ": ") if lead else ""
    names = [str(c["name"]) for c in columns]
    if not rows:
        return f"{lead}no rows matched."
    if len(rows) == 1 and len(names) == 1:
        return f"{lead}{_value(rows[0][0])}."
    if len(rows) == 1:
        return (
            lead + ", ".join(f"{n} {_value(v)}" for n, v in zip(names, rows[0], strict=False)) + "."
        )
    if len(names) == 2:
        listed = "; ".join(f"{_value(r[0])}: {_value(r[1])}" for r in rows[:LISTED])
    else:
        listed = "; ".join(", ".join(_value(v) for v in r) for r in rows[:LISTED])
    more = f" (and {len(rows) - LISTED} more rows)" if len(rows) > LISTED else ""
    return f"{lead}{listed}{more}."
