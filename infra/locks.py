"""``make lock`` and ``make upgrade``: the committed locks, compiled with uv.

Two kinds of lock, one resolution:

- ``requirements.lock``, the environment's lock: every package ``make install`` puts in the
  venv (the apps' libraries, the dev tools, moto, Pulumi, Chalice, Playwright, DuckDB, … and
  their whole closure), with hashes. ``make install`` installs exactly this file (``pip
  install --require-hashes --no-deps``, then ``uv pip sync`` removes anything it does not
  list), so a release upstream changes nothing until someone moves the lock on purpose;
  ``tests/infra/test_locks.py`` fails when the venv differs from it.
- ``chalice_apps/<app>/requirements.txt``, what each Lambda zip ships: the app's extra of
  ``pyproject.toml`` compiled with the environment's lock as a constraint, so a library
  two apps share, or an app and a tool share, has the one version the tests run.

The Lambda runtime provides boto3 and what it depends on (:data:`LAMBDA_RUNTIME_PACKAGES`):
no app lock pins them (``--no-emit-package``), so no zip carries a second copy of the SDK,
and the environment's lock pins boto3, botocore and s3transfer to the versions that runtime
ships (:data:`LAMBDA_RUNTIME_SDK`), so the tests run the SDK production runs.

Without ``--upgrade`` every pin the lock holds is kept wherever pyproject still allows it
(uv prefers the versions already in its output file), so adding a library moves no other;
``--upgrade`` takes the newest of everything except the runtime's SDK. Needs PyPI; makes no
AWS call.
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
# The SDK the python3.11 runtime includes, from the AWS Lambda Developer Guide, "Building
# Lambda functions with Python" -> "Runtime-included SDK versions". Lambda updates it in
# place; when that table moves, change these three (and nothing else), then `make lock`.
LAMBDA_RUNTIME_SDK = {"boto3": "1.40.4", "botocore": "1.40.4", "s3transfer": "0.13.1"}
ENVIRONMENT_LOCK = ROOT / "requirements.lock"
LOCK_FILE = "requirements.txt"
COMPILE_COMMAND = "make lock"
_RUNTIME_CONSTRAINT = BUILD_DIR / "locks" / "lambda-runtime-sdk.txt"
_LAMBDA_LOCK = BUILD_DIR / "locks" / "lambda.txt"
# What a zip ships must be a wheel for the Lambda platform (chalice package skips the rest).
_WHEELS_ONLY = ("--only-binary", ":all:")
# The Lambda python3.11 runtime: Amazon Linux 2 (glibc 2.26), so manylinux2014 wheels run.
_TARGET = ("--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_17")
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def lock_path(app: str, apps_dir: Path = APPS_DIR) -> Path:
    """The lock of ``app``: the requirements file ``chalice package`` installs."""
    return apps_dir / app / LOCK_FILE


def read_pins(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` of every ``name==version`` line of a lock (hash
    continuation lines and comments skipped)."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if match := _PIN.match(line):
            pins[canonicalize_name(match["name"])] = match["version"]
    return pins


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


def lock_all(apps: list[str], upgrade: bool = False) -> None:
    """Write the environment's lock, then each app's lock constrained by it.

    Three resolutions, so every library a zip ships has a wheel the Lambda runtime can load
    (manylinux2014: numpy 2.3 and later ship only manylinux_2_28 wheels, which Amazon
    Linux 2 cannot run) while the dev tools keep the newest version that installs here:

    1. every app's extra together, wheels only, for the Lambda platform
       (``build/locks/lambda.txt``): the versions the zips can ship;
    2. the environment, every extra, constrained by (1) and the runtime's SDK, with hashes;
    3. each app's extra, wheels only, constrained by (2).

    Raises:
        subprocess.CalledProcessError: a resolution failed; no lock was written past it.
    """
    _RUNTIME_CONSTRAINT.parent.mkdir(parents=True, exist_ok=True)
    _RUNTIME_CONSTRAINT.write_text("".join(f"{n}=={v}\n" for n, v in LAMBDA_RUNTIME_SDK.items()))
    runtime = str(_RUNTIME_CONSTRAINT.relative_to(ROOT))
    upgrading = ["--upgrade"] if upgrade else []
    # uv prefers the versions its output file pins: the environment's current ones.
    current = read_pins(ENVIRONMENT_LOCK) if ENVIRONMENT_LOCK.is_file() and not upgrade else {}
    _LAMBDA_LOCK.write_text("".join(f"{n}=={v}\n" for n, v in current.items()))
    app_extras = [arg for app in apps for arg in ("--extra", app)]
    _compile(*app_extras, *_WHEELS_ONLY, "--constraint", runtime, *upgrading, output=_LAMBDA_LOCK)
    lambda_usable = str(_LAMBDA_LOCK.relative_to(ROOT))
    _compile(
        "--all-extras",
        "--generate-hashes",
        "--constraint",
        runtime,
        "--constraint",
        lambda_usable,
        *upgrading,
        output=ENVIRONMENT_LOCK,
    )
    not_emitted = [arg for pkg in LAMBDA_RUNTIME_PACKAGES for arg in ("--no-emit-package", pkg)]
    environment = str(ENVIRONMENT_LOCK.relative_to(ROOT))
    for app in apps:
        _compile(
            "--extra",
            app,
            *_WHEELS_ONLY,
            "--constraint",
            environment,
            *not_emitted,
            output=lock_path(app),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="take the newest allowed versions")
    args = parser.parse_args()
    apps = app_names()
    lock_all(apps, upgrade=args.upgrade)
    print(f"locked the environment -> {ENVIRONMENT_LOCK.relative_to(ROOT)}", flush=True)
    for app in apps:
        print(f"locked {app} -> {lock_path(app).relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
