"""JSON for what DynamoDB's resource API returns (numbers come back as ``Decimal``)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _default(value: object) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """Serialise to compact JSON, turning Decimals into ints or floats and sets into lists."""
    return json.dumps(value, default=_default, separators=(",", ":"))
