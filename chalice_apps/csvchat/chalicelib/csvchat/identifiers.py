"""Column names a person wrote, made into identifiers Athena and Glue accept unquoted.

Glue stores column names in lower case, Athena refuses reserved words as bare names, and a
CSV header may repeat a name, leave one empty or start with a digit: each name becomes
lower-case ``[a-z0-9_]``, reserved words get a trailing ``_``, empty ones ``column_<n>``, and
repeats ``_2``, ``_3``... The original is kept beside it (``source_name``).
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 100
# Athena's reserved words, for DDL and for SELECT statements (its documentation's lists).
RESERVED = frozenset(
    """all alter and array as authorization between bigint binary boolean both by case cast
    char column commit conf constraint create cross cube current current_date
    current_path current_time current_timestamp current_user cursor database date
    dayofweek deallocate decimal delete describe distinct div double drop else end
    escape except exchange execute exists extended external extract false fetch first
    float floor following for foreign from full function grant group grouping having if
    import in inner insert int integer intersect interval into is join last lateral left
    less like local localtime localtimestamp macro map more natural none normalize not
    null numeric of on only or order out outer over partialscan partition percent
    preceding precision prepare preserve primary procedure range reads recursive reduce
    references regexp revoke right rlike rollback rollup row rows select set skip
    smallint start table tablesample then time timestamp to transform trigger true
    truncate uescape unbounded union uniquejoin unnest update user using utc_timestamp
    values varchar views when where window with""".split()  # noqa: SIM905 (one word list to read)
)
_NOT_IDENTIFIER = re.compile(r"[^a-z0-9]+")
# Letters that Unicode does not decompose into ASCII ones.
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th"})


def identifier(name: str, position: int) -> str:
    """One name made safe; ``position`` (1-based) names an empty one."""
    spelled = name.lower().translate(_LETTERS)
    ascii_name = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    safe = _NOT_IDENTIFIER.sub("_", ascii_name.lower()).strip("_")[:MAX_LENGTH]
    if not safe:
        return f"column_{position}"
    if safe[0].isdigit():
        safe = f"c_{safe}"
    return f"{safe}_" if safe in RESERVED else safe


def identifiers(names: list[str]) -> list[str]:
    """Every header name made safe and unique, in order."""
    taken: set[str] = set()
    result = []
    for position, name in enumerate(names, start=1):
        base = identifier(name, position)
        candidate, suffix = base, 1
        while candidate in taken:
            suffix += 1
            candidate = f"{base}_{suffix}"
        taken.add(candidate)
        result.append(candidate)
    return result
