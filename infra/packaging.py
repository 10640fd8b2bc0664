"""``make package``: run ``chalice package`` for every app into ``build/<app>/``.

The Pulumi program deploys exactly what this produces (``sam.json`` + ``deployment.zip``).
Chalice ships only ``app.py``, ``chalicelib/`` and ``vendor/`` plus the app's requirements, so
the ``shared`` package is copied into ``vendor/`` for the build and removed afterwards.
No AWS call is made: Chalice needs a region and some credentials set, nothing more.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS_DIR = ROOT / "chalice_apps"
BUILD_DIR = ROOT / "build"
PACKAGE_STAGE = "package"
# shared.local is the local runtime (moto, Pulumi mocks): never part of a Lambda package.
_NOT_SHIPPED = shutil.ignore_patterns("local", "__pycache__", "*.pyc")


def app_names() -> list[str]:
    """Every Chalice app in the repository, by folder name."""
    return sorted(p.parent.parent.name for p in APPS_DIR.glob("*/.chalice/config.json"))


def package_app(app: str, build_dir: Path = BUILD_DIR, apps_dir: Path = APPS_DIR) -> Path:
    """Package one app; returns the folder holding ``sam.json`` and ``deployment.zip``.

    Raises:
        subprocess.CalledProcessError: chalice failed (its output is on stderr).
    """
    app_dir = apps_dir / app
    vendored = app_dir / "vendor" / "shared"
    out = build_dir / app
    if vendored.exists():
        shutil.rmtree(vendored)
    shutil.copytree(ROOT / "shared", vendored, ignore=_NOT_SHIPPED)
    if out.exists():
        shutil.rmtree(out)
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-north-1"),
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "packaging"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "packaging"),
    }
    chalice = Path(sys.executable).with_name("chalice")
    try:
        subprocess.run(
            [str(chalice), "package", "--stage", PACKAGE_STAGE, str(out)],
            cwd=app_dir,
            env=env,
            check=True,
        )
    finally:
        shutil.rmtree(app_dir / "vendor")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="*", help="apps to package (default: all)")
    args = parser.parse_args()
    for app in args.apps or app_names():
        print(f"packaging {app} -> {package_app(app).relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
