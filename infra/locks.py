"""``make lock``: compile each app's ``requirements.txt``, what its Lambda zip ships, with uv.

Each app declares what its functions import as an optional-dependency extra of
``pyproject.toml`` named after it; the project's ``dependencies`` are what ``shared/`` needs.
``uv pip compile --extra <app>`` pins that whole closure for the Lambda runtime (CPython 3.11
on x86_64 manylinux) into ``chalice_apps/<app>/requirements.txt``: ``chalice package``
installs exactly this file into the zip and ``make install`` installs every lock into the
test venv, so the tests run the versions that ship.

One venv holds every app for the tests, so the locks must agree with each other and with the
dev tools. Every extra (each app's and ``dev``) is therefore compiled first into one combined
lock, ``build/locks/all-extras.txt``, and each app's lock is compiled with it as a constraint
(``-c``): a library two apps share gets the one version that also installs beside the tools.

The Lambda runtime provides boto3 and what it depends on (:data:`LAMBDA_RUNTIME_PACKAGES`);
no lock pins them (``--no-emit-package``), so no zip carries a second copy of the SDK.

Without ``--upgrade`` the pins the locks hold now are kept wherever pyproject still allows
them (uv prefers the versions already in its output file), so adding a library moves no
other; ``--upgrade`` takes the newest of everything. Needs PyPI; makes no AWS call.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from packaging.utils import canonicalize_name
from uv import find_uv_bin

from infra.packaging import APPS_DIR, BUILD_DIR, ROOT, app_names

# What the Lambda Python runtime has installed beside the function's code.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six")
LOCK_FILE = "requirements.txt"
COMPILE_COMMAND = "make lock"
COMBINED_LOCK = BUILD_DIR / "locks" / "all-extras.txt"
# The Lambda python3.11 runtime: Amazon Linux 2 (glibc 2.26), so manylinux2014 wheels run.
_TARGET = ("--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_17")
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==\S+")


def lock_path(app: str, apps_dir: Path = APPS_DIR) -> Path:
    """The lock of ``app``: the requirements file ``chalice package`` installs."""
    return apps_dir / app / LOCK_FILE


def _compile(*args: str, output: Path) -> None:
    """Run ``uv pip compile pyproject.toml`` from the repository root, paths relative to it,
    so the header and annotations written into a lock name no machine's folders.

    Raises:
        subprocess.CalledProcessError: uv could not resolve (its reason is on stderr).
    """
    subprocess.run(
        [
            find_uv_bin(),
            "pip",
            "compile",
            "pyproject.toml",
            *_TARGET,
            *args,
            "--custom-compile-command",
            COMPILE_COMMAND,
            "--annotation-style",
            "line",
            "--quiet",
            "--output-file",
            str(output.relative_to(ROOT)),
        ],
        cwd=ROOT,
        check=True,
    )


def _current_pins(apps: list[str]) -> str:
    """Every ``name==version`` line of the apps' locks, first of each name, as uv's
    preferences for the combined lock."""
    pins: dict[str, str] = {}
    for app in apps:
        path = lock_path(app)
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            if match := _PIN.match(line):
                pins.setdefault(canonicalize_name(match["name"]), match[0])
    return "".join(f"{line}\n" for line in pins.values())


def lock_apps(apps: list[str], upgrade: bool = False) -> None:
    """Write the combined lock, then each app's lock constrained by it.

    Raises:
        subprocess.CalledProcessError: a resolution failed; no lock was written past it.
    """
    COMBINED_LOCK.parent.mkdir(parents=True, exist_ok=True)
    # uv prefers the versions its output file already pins: an empty one means the newest.
    COMBINED_LOCK.write_text("" if upgrade else _current_pins(apps))
    _compile("--all-extras", output=COMBINED_LOCK)
    not_emitted = [arg for pkg in LAMBDA_RUNTIME_PACKAGES for arg in ("--no-emit-package", pkg)]
    constraint = str(COMBINED_LOCK.relative_to(ROOT))
    for app in apps:
        _compile("--extra", app, "--constraint", constraint, *not_emitted, output=lock_path(app))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="take the newest allowed versions")
    args = parser.parse_args()
    apps = app_names()
    lock_apps(apps, upgrade=args.upgrade)
    for app in apps:
        print(f"locked {app} -> {lock_path(app).relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
