"""``make package``: run ``chalice package`` for every app into ``build/<app>/``.

The Pulumi program deploys exactly what this produces (``sam.json`` + ``deployment.zip``).
Chalice ships ``app.py``, ``chalicelib/`` and ``vendor/`` plus what the app's
``requirements.txt`` (its lock, ``infra/locks.py``) pins. Each app is built from a copy in a
temporary folder, with the ``shared`` package vendored into the copy's ``vendor/``, so a
build never writes into ``chalice_apps/`` (no ``vendor/``, no ``.chalice/deployments``
cache) and nothing but the app's own files and shared's modules can reach the zip.
No AWS call is made: Chalice needs a region and some credentials set, nothing more.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS_DIR = ROOT / "chalice_apps"
BUILD_DIR = ROOT / "build"
PACKAGE_STAGE = "package"
_NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc")


def app_names() -> list[str]:
    """Every Chalice app in the repository, by folder name."""
    return sorted(p.parent.parent.name for p in APPS_DIR.glob("*/.chalice/config.json"))


def _copy_project(app_dir: Path, project: Path) -> None:
    """Copy into ``project`` what ``chalice package`` reads from ``app_dir`` (not its
    ``.chalice/deployments`` or caches), with ``shared`` vendored beside it."""
    (project / ".chalice").mkdir(parents=True)
    shutil.copy2(app_dir / ".chalice" / "config.json", project / ".chalice" / "config.json")
    shutil.copy2(app_dir / "app.py", project / "app.py")
    if (app_dir / "requirements.txt").is_file():
        shutil.copy2(app_dir / "requirements.txt", project / "requirements.txt")
    if (app_dir / "chalicelib").is_dir():
        shutil.copytree(app_dir / "chalicelib", project / "chalicelib", ignore=_NOT_SHIPPED)
    shutil.copytree(ROOT / "shared", project / "vendor" / "shared", ignore=_NOT_SHIPPED)


def package_app(app: str, build_dir: Path = BUILD_DIR, apps_dir: Path = APPS_DIR) -> Path:
    """Package one app; returns the folder holding ``sam.json`` and ``deployment.zip``.

    Raises:
        subprocess.CalledProcessError: chalice failed (its output is on stderr).
    """
    out = (build_dir / app).resolve()
    if out.exists():
        shutil.rmtree(out)
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-north-1"),
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "packaging"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "packaging"),
    }
    chalice = Path(sys.executable).with_name("chalice")
    with tempfile.TemporaryDirectory(prefix=f"package-{app}-") as tmp:
        project = Path(tmp) / app
        _copy_project(apps_dir / app, project)
        subprocess.run(
            [str(chalice), "package", "--stage", PACKAGE_STAGE, str(out)],
            cwd=project,
            env=env,
            check=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="*", help="apps to package (default: all)")
    args = parser.parse_args()
    for app in args.apps or app_names():
        print(f"packaging {app} -> {package_app(app).relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
