"""The local runtime's layout.

Shared machinery names no system: every module of the local runtime outside the systems'
profiles and the outside APIs' fakes is free of the registry's system names, in
identifiers, strings and comments alike, so a system is added or removed without editing it
(what a system needs locally goes in its profile).

No module imports, at module level, a module that imports it back, directly or through
others: each piece can be read, imported and tested from the bottom up."""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import devstack
from infra.registry import SYSTEMS

DEVSTACK = Path(devstack.__file__).parent
# Where system names may appear: the profiles and the fakes of the APIs systems call.
EXEMPT = ("profiles", "fakes")
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


def module_name(path: Path) -> str:
    parts = path.relative_to(DEVSTACK.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each devstack module -> the devstack modules its module-level statements import (not
    those under ``if TYPE_CHECKING:`` or inside functions, which run later or never).
    ``from package import name`` counts as importing the submodule when ``name`` is one."""
    modules = {module_name(path): path for path in DEVSTACK.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported: set[str] = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {f"{node.module}.{alias.name}" for alias in node.names}
                imported |= (submodules & modules.keys()) or {node.module}
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def import_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` (its modules in order, the first repeated last), or []."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as err:
        return list(err.args[1])
    return []


def test_the_import_graph_sees_module_level_imports_only() -> None:
    graph = import_graph()
    assert "devstack.services.registry" in graph["devstack.mocks"]
    assert "devstack.services.sqs.resources" in graph["devstack.services.registry"]
    # streams.py imports FunctionHosts for its annotations only, under TYPE_CHECKING
    assert "devstack.services.awslambda.service" not in graph["devstack.services.dynamodb.streams"]


def test_a_cycle_is_found_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    found = import_cycle(graph)
    assert set(found) == {"a", "b", "c"}
    assert found[0] == found[-1]
    assert import_cycle({"a": {"b"}, "b": set()}) == []


def test_no_devstack_modules_import_each_other() -> None:
    cycle = import_cycle(import_graph())
    assert cycle == [], "an import cycle: " + " -> ".join(cycle)
