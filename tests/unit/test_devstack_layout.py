"""Shared machinery names no system: every module of the local runtime outside the
systems' profiles, the outside APIs' fakes and the console is free of the registry's system
names, in identifiers, strings and comments alike, so a system is added or removed without
editing it (what a system needs locally goes in its profile)."""

from __future__ import annotations

import re
from pathlib import Path

import devstack
from infra.registry import SYSTEMS

DEVSTACK = Path(devstack.__file__).parent
# Where system names may appear: the profiles, the fakes of the APIs systems call, and the
# console, whose pages may describe the systems they show.
EXEMPT = ("profiles", "fakes", "console")
# A name not inside a longer word ("monkeypatches"); ``_`` and digits do not hide it
# ("detect_trends" names trends).
NAMED = re.compile(rf"(?<![a-z])(?:{'|'.join(map(re.escape, SYSTEMS))})(?![a-z])", re.I)


def shared_modules() -> list[Path]:
    return sorted(
        path for path in DEVSTACK.rglob("*.py") if path.relative_to(DEVSTACK).parts[0] not in EXEMPT
    )


def naming_lines(path: Path) -> list[str]:
    """``file:line: text`` of each line of ``path`` naming a system."""
    lines = path.read_text().splitlines()
    return [
        f"{path.relative_to(DEVSTACK.parent)}:{number}: {line.strip()}"
        for number, line in enumerate(lines, 1)
        if NAMED.search(line)
    ]


def test_the_pattern_finds_a_system_name_however_it_is_written() -> None:
    system = SYSTEMS[-1]
    written = [system, system.upper(), f"detect_{system}", f"{system}-pipeline", f"'{system}'"]
    assert all(NAMED.search(text) for text in written)
    assert not NAMED.search(f"x{system}y")


def test_the_shared_modules_are_found() -> None:
    names = {path.name for path in shared_modules()}
    assert {"stack.py", "aws_server.py", "converse.py"} <= names
    assert not any(p.relative_to(DEVSTACK).parts[0] in EXEMPT for p in shared_modules())


def test_no_shared_devstack_module_names_a_system() -> None:
    found = [line for path in shared_modules() for line in naming_lines(path)]
    assert found == [], "a system named outside its profile:\n" + "\n".join(found)
