"""What ships and what runs it locally are separate: nothing the Lambda zips or the operator
commands import may pull in the local runtime or the tools it is built on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.registry import ROOT, SYSTEMS, app_dir

# The local runtime and what only it (or the Pulumi program) may use.
DEV_ONLY = ("devstack", "moto", "flask", "werkzeug", "croniter", "pulumi", "pulumi_aws")

IMPORT_ALL = """
import importlib, json, sys
for module in json.loads(sys.argv[1]):
    importlib.import_module(module)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def modules_under(folder: Path, root: Path) -> list[str]:
    """Every module of a package folder, dotted, relative to ``root``."""
    return sorted(
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for path in folder.rglob("*.py")
    )


def imported_top_levels(modules: list[str], extra_path: list[Path]) -> set[str]:
    """Import ``modules`` in a fresh interpreter; the top-level packages it then holds."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, json.dumps(modules)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": ":".join(str(p) for p in [ROOT, *extra_path]), "PATH": "/usr/bin"},
    )
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("system", SYSTEMS)
def test_an_apps_modules_import_nothing_of_the_local_runtime(system: str) -> None:
    folder = app_dir(system)
    modules = modules_under(folder / "chalicelib", folder)
    loaded = imported_top_levels(modules, [folder])

    assert not loaded & set(DEV_ONLY), f"{system} imports {sorted(loaded & set(DEV_ONLY))}"


def test_shared_and_the_operator_commands_import_nothing_of_the_local_runtime() -> None:
    modules = modules_under(ROOT / "shared", ROOT) + modules_under(ROOT / "ops", ROOT)
    loaded = imported_top_levels(modules, [app_dir(s) for s in SYSTEMS])

    assert "shared" in loaded and "ops" in loaded
    assert not loaded & set(DEV_ONLY), sorted(loaded & set(DEV_ONLY))


def test_the_check_sees_a_runtime_import_when_there_is_one() -> None:
    assert "pulumi" in imported_top_levels(["devstack.program"], [])
