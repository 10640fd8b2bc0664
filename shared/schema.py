"""Key schemas of DynamoDB tables, written once: the Pulumi program creates the table from
one, and the app's repository reads its key and index names from the same one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AttributeType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class Index:
    """A secondary index: its name and keys (a local index shares the table's hash key)."""

    name: str
    hash_key: str
    range_key: str | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class TableSchema:
    """A table's base name (the stack is appended), keys, indexes and TTL attribute.

    ``attributes`` types every attribute a key or index uses, as DynamoDB requires.
    """

    base_name: str
    hash_key: str
    attributes: dict[str, AttributeType]
    range_key: str | None = None
    global_indexes: tuple[Index, ...] = field(default_factory=tuple)
    local_indexes: tuple[Index, ...] = field(default_factory=tuple)
    # Epoch seconds after which DynamoDB deletes the item.
    ttl_attribute: str | None = None

    def index(self, name: str) -> Index:
        """One of the table's indexes by name.

        Raises:
            KeyError: the table has no such index.
        """
        for index in (*self.global_indexes, *self.local_indexes):
            if index.name == name:
                return index
        raise KeyError(f"{self.base_name} has no index {name}")
