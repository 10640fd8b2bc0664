"""What DynamoDB can store, so that free-form JSON accepted by an API never fails later.

A request is queued, then written to DynamoDB by another function. A value DynamoDB (or
boto3, before it) refuses would fail that function on every delivery, long after the client
was told 200; so an API checks the JSON it accepts with ``storage_problems`` and the writer
stores it through ``dynamo_value``. Both read numbers the same way: an ``int`` as is, a
``float`` as the ``Decimal`` of its shortest repr (the number the JSON text carried).
"""

from __future__ import annotations

import math
from decimal import Decimal, DecimalException
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT

from shared.errors import FieldProblem

# DynamoDB's own limits (boto3's DYNAMODB_CONTEXT checks the 38 digits, not the range).
MAX_NAME_BYTES = 65_535
MIN_EXPONENT, MAX_EXPONENT = -130, 125


def dynamo_value(value: Any) -> Any:
    """``value`` with every float as a ``Decimal`` (boto3 refuses floats)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: dynamo_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [dynamo_value(item) for item in value]
    return value


def _number_problem(number: int | float) -> str | None:
    if isinstance(number, float) and not math.isfinite(number):
        return "must be a finite number"
    value = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    if value and not MIN_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        return "is outside the numbers DynamoDB stores (1E-130 to 9.99E+125 in magnitude)"
    try:
        DYNAMODB_CONTEXT.create_decimal(value)
    except DecimalException:
        return "has more than the 38 significant digits DynamoDB stores"
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storage_problems(value: Any, path: str = "") -> list[FieldProblem]:
    """Why DynamoDB would refuse ``value``, one problem per field (dotted paths below
    ``path``; list items by index): an empty or over-long key, a number it cannot hold, a
    string that is not valid Unicode (an unpaired surrogate from a ``\\ud800`` escape).

    Walks without recursing, so any nesting the caller let through is safe.
    """
    problems: list[FieldProblem] = []
    pending: list[tuple[str, Any]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not key:
                    problems.append(FieldProblem(where or "body", "has an empty key"))
                elif not _is_unicode(key) or len(key.encode("utf-8")) > MAX_NAME_BYTES:
                    problems.append(
                        FieldProblem(
                            where or "body",
                            "has a key that is not valid Unicode or "
                            f"longer than {MAX_NAME_BYTES} bytes",
                        )
                    )
                pending.append((f"{where}.{key}" if where else str(key), child))
        elif isinstance(item, list):
            pending.extend((f"{where}.{index}", child) for index, child in enumerate(item))
        elif isinstance(item, str):
            if not _is_unicode(item):
                problems.append(FieldProblem(where, "is not valid Unicode (unpaired surrogate)"))
        elif isinstance(item, int | float) and not isinstance(item, bool):
            reason = _number_problem(item)
            if reason:
                problems.append(FieldProblem(where, reason))
    return sorted(problems, key=lambda problem: problem.field)
