"""What ships: each built zip holds its lock and no local tooling, and its handlers import
from the zip alone, as Lambda imports them; packaging never writes into the app's folder."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import packages_distributions
from importlib.util import find_spec
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from infra.locks import lock_path
from infra.packaging import APPS_DIR, app_names, package_app
from tests.conftest import REGION
from tests.infra.test_locks import RUNTIME_PROVIDED, lock_pins

# The local runtime and the tools that deploy and test: none may ship or be imported.
NOT_SHIPPED = ("moto", "flask", "werkzeug", "pulumi", "pulumi_aws", "croniter", "devstack")
_DIST_INFO = re.compile(r"^(?P<name>[^/-]+)-(?P<version>[^/-]+)\.dist-info/")

# Run with `python -I -S`: sys.path starts as the stdlib alone. The zip's folder goes first
# (Lambda's /var/task), the runtime's packages last, as in Lambda's sys.path.
_IMPORT_AS_LAMBDA = """
import importlib, json, pkgutil, sys, sysconfig
task, runtime, handlers, report = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
sys.path.insert(0, task)
sys.path.append(runtime)
handler_callable = {}
for handler in handlers:
    module, _, attribute = handler.rpartition(".")
    handler_callable[handler] = callable(getattr(importlib.import_module(module), attribute))
import shared
for info in pkgutil.walk_packages(shared.__path__, "shared."):
    importlib.import_module(info.name)
files = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
stdlib = sorted({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})
with open(report, "w") as out:
    json.dump({"callable": handler_callable, "files": files, "stdlib": stdlib}, out)
"""


@pytest.fixture(scope="module")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only what the Lambda Python runtime provides: boto3 and its
    dependencies, linked from this venv."""
    folder = tmp_path_factory.mktemp("lambda-runtime")
    linked = set()
    for top_level, dists in packages_distributions().items():
        provided = RUNTIME_PROVIDED & {canonicalize_name(dist) for dist in dists}
        spec = find_spec(top_level) if provided and top_level.isidentifier() else None
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin)
        if spec.submodule_search_locations:  # a package: link its folder, not __init__.py
            source = source.parent
        (folder / source.name).symlink_to(source)
        linked |= provided
    assert linked == RUNTIME_PROVIDED, f"not installed here: {RUNTIME_PROVIDED - linked}"
    return folder


@pytest.fixture(scope="module", params=app_names())
def unpacked(
    request: pytest.FixtureRequest, built_packages: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """An app's name and its ``deployment.zip`` unpacked, as Lambda's ``/var/task``."""
    app: str = request.param
    task = tmp_path_factory.mktemp(f"task-{app}")
    with zipfile.ZipFile(built_packages / app / "deployment.zip") as package:
        package.extractall(task)
    return app, task


def _handlers(build: Path, app: str) -> list[str]:
    """Every function's ``Handler`` in the app's ``sam.json`` (``app.app``, ``app.<name>``)."""
    resources = json.loads((build / app / "sam.json").read_text())["Resources"]
    return sorted(
        r["Properties"]["Handler"]
        for r in resources.values()
        if r["Type"] == "AWS::Serverless::Function"
    )


def _within(path: Path, roots: list[Path], stdlib: list[Path]) -> bool:
    """Whether a module's file is under one of ``roots`` or the stdlib proper (its
    ``site-packages`` is where a leak from the venv or the system would come from)."""
    return any(path.is_relative_to(root) for root in roots) or any(
        path.is_relative_to(root) and "site-packages" not in path.relative_to(root).parts
        for root in stdlib
    )


def test_every_handler_imports_from_the_zip_alone(
    unpacked: tuple[str, Path], lambda_runtime: Path, built_packages: Path, tmp_path: Path
) -> None:
    app, task = unpacked
    handlers = _handlers(built_packages, app)
    report = tmp_path / "report.json"
    env = {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": f"{app}-import-check",
        "LAMBDA_TASK_ROOT": str(task),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _IMPORT_AS_LAMBDA,
            str(task),
            str(lambda_runtime),
            json.dumps(handlers),
            str(report),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{app}: a handler does not import on Lambda:\n{done.stderr}"
    result = json.loads(report.read_text())

    assert handlers and result["callable"] == dict.fromkeys(handlers, True), result["callable"]
    imported = set(result["files"])
    leaked = sorted(
        name
        for name in imported
        if name.split(".")[0] in NOT_SHIPPED
        or name == "shared.local"
        or name.startswith("shared.local.")
    )
    assert not leaked, f"{app}: the handlers import local tooling: {leaked}"
    roots = [task, lambda_runtime]
    stdlib = [Path(p) for p in result["stdlib"]]
    outside = sorted(
        f"{name}: {file}"
        for name, file in result["files"].items()
        if file and not _within(Path(file), roots, stdlib)
    )
    assert not outside, f"{app}: modules came from outside the zip and the runtime: {outside}"


def test_the_zip_holds_no_local_tooling_and_no_build_leftovers(built_packages: Path) -> None:
    for app in app_names():
        with zipfile.ZipFile(built_packages / app / "deployment.zip") as package:
            names = package.namelist()
        top_level = {name.split("/")[0] for name in names}
        assert not top_level & set(NOT_SHIPPED), f"{app}: {sorted(top_level & set(NOT_SHIPPED))}"
        assert "vendor" not in top_level, f"{app}: vendor/ was zipped as a folder"
        # Our own code ships as source; a wheel may ship bytecode of its own (numpy does).
        ours = [n for n in names if n.split("/")[0] in {"chalicelib", "shared", "app.py"}]
        stray = [n for n in ours if n.startswith("shared/local/") or "__pycache__/" in n]
        assert not stray, f"{app}: {stray[:5]}"


def test_the_zip_ships_exactly_its_lock(built_packages: Path) -> None:
    """``chalice package`` only warns when it finds no Linux wheel for a package and leaves
    it out; this fails instead. A package the lock does not pin may ship only if the Lambda
    runtime provides it too (a pinned package depends on it: chalice follows dependencies)."""
    for app in app_names():
        with zipfile.ZipFile(built_packages / app / "deployment.zip") as package:
            shipped = {
                canonicalize_name(match["name"]): Version(match["version"])
                for match in map(_DIST_INFO.match, package.namelist())
                if match
            }
        pins = lock_pins(lock_path(app))
        missing = {f"{name}=={v}" for name, v in pins.items() if shipped.get(name) != v}
        assert not missing, f"{app}: the zip lacks {sorted(missing)}: make package?"
        unlocked = shipped.keys() - pins.keys() - RUNTIME_PROVIDED
        assert not unlocked, f"{app}: the zip ships what its lock does not pin: {sorted(unlocked)}"


def test_packaging_writes_nothing_into_the_app_folder(tmp_path: Path) -> None:
    # The app with the fewest pinned packages: the same packaging, the least to install.
    app = min(app_names(), key=lambda name: len(lock_pins(lock_path(name))))
    apps = tmp_path / "apps"
    shutil.copytree(APPS_DIR / app, apps / app)

    def snapshot() -> dict[str, int]:
        return {
            str(path.relative_to(apps)): path.stat().st_mtime_ns if path.is_file() else -1
            for path in sorted(apps.rglob("*"))
        }

    before = snapshot()
    out = package_app(app, build_dir=tmp_path / "build", apps_dir=apps)
    assert snapshot() == before
    assert (out / "deployment.zip").is_file() and (out / "sam.json").is_file()
