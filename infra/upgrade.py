"""``make upgrade``: move every pin to the newest version pyproject allows, install it, run the
suite, and report what changed and what broke.

An upgrade is a deliberate act, never a side effect of a fresh clone: this command rewrites
``requirements.lock`` and the apps' locks in the working tree (nothing is committed or
pushed), and the person, or the weekly workflow (``.github/workflows/upgrade.yml``), reads
the report: the pins that moved, and the checks that failed with them. A green report is a
lock worth committing; a red one names what to fix first (``git checkout -- requirements.lock
chalice_apps/*/requirements.txt`` goes back). The Lambda runtime's SDK does not move here: it
moves when the runtime's does (``infra.locks.LAMBDA_RUNTIME_SDK``).

The report is printed and written to ``build/upgrade-report.md`` (and appended to
``$GITHUB_STEP_SUMMARY`` when a workflow runs it); the exit code is the suite's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.locks import ENVIRONMENT_LOCK, lock_all, read_pins
from infra.packaging import BUILD_DIR, ROOT, app_names

REPORT = BUILD_DIR / "upgrade-report.md"
# What `make test` runs, step by step, so the report says which step broke.
CHECKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("install", ("make", "install")),
    ("package", ("make", "package")),
    ("lint", ("make", "lint")),
    ("typecheck", ("make", "typecheck")),
    ("pytest", (".venv/bin/python", "-m", "pytest", "-n", "2", "--dist", "loadfile", "-q")),
)
_FAILED_TEST = re.compile(r"^(FAILED|ERROR) (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Change:
    name: str
    before: str | None
    after: str | None

    def describe(self) -> str:
        if self.before is None:
            return f"| {self.name} | (new) | {self.after} |"
        if self.after is None:
            return f"| {self.name} | {self.before} | (removed) |"
        return f"| {self.name} | {self.before} | {self.after} |"


@dataclass(frozen=True)
class CheckResult:
    name: str
    returncode: int
    failures: tuple[str, ...]
    tail: str


def pin_changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    """Every package whose pin appeared, disappeared or moved, by name."""
    names = sorted(before.keys() | after.keys())
    return [
        Change(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


def run_check(name: str, command: tuple[str, ...]) -> CheckResult:
    """Run one step of the suite; its failed tests (pytest's summary lines) and the end of
    its output are kept for the report."""
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, env=os.environ.copy()
    )
    output = completed.stdout + completed.stderr
    failures = tuple(sorted({match[1] for match in _FAILED_TEST.finditer(output)}))
    tail = "\n".join(output.strip().splitlines()[-15:])
    return CheckResult(name, completed.returncode, failures, tail)


def render(changes: list[Change], results: list[CheckResult]) -> str:
    """The report, in Markdown (a workflow's job summary renders it)."""
    broken = [result for result in results if result.returncode != 0]
    lines = ["# make upgrade", ""]
    lines += [f"**{'FAILED: ' + broken[0].name if broken else 'the suite passes'}**", ""]
    if changes:
        lines += [f"## {len(changes)} pins moved", "", "| package | from | to |", "|---|---|---|"]
        lines += [change.describe() for change in changes]
    else:
        lines += ["## nothing moved: every pin is already the newest allowed"]
    lines += ["", "## checks", ""]
    for result in results:
        state = "ok" if result.returncode == 0 else f"failed (exit {result.returncode})"
        lines.append(f"- {result.name}: {state}")
        lines += [f"  - {failure}" for failure in result.failures]
    for result in broken:
        lines += ["", f"### {result.name}: end of its output", "", "```", result.tail, "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    locks = [
        ENVIRONMENT_LOCK,
        *(ROOT / "chalice_apps" / app / "requirements.txt" for app in app_names()),
    ]
    before = {path: read_pins(path) for path in locks}
    lock_all(app_names(), upgrade=True)
    changes = pin_changes(before[ENVIRONMENT_LOCK], read_pins(ENVIRONMENT_LOCK))
    results: list[CheckResult] = []
    for name, command in CHECKS:
        print(f"upgrade: {name} …", flush=True)
        results.append(run_check(name, command))
        if results[-1].returncode != 0 and name in {"install", "package"}:
            break  # nothing after them can run
    report = render(changes, results)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with Path(summary).open("a") as handle:
            handle.write(report)
    print(report, flush=True)
    return max((result.returncode for result in results), default=0)


if __name__ == "__main__":
    sys.exit(main())
