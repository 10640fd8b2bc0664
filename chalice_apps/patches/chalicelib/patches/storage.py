"""A page of a query, one shape for every patches repository (their boto3 failures become
``DatabaseError`` through ``shared.dynamo.aws_errors``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of a query: its items, and the key to continue from (None on the last)."""

    items: list[dict[str, Any]]
    last_key: dict[str, Any] | None
