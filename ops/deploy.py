"""``make preview|deploy STACK=...``: package the apps, then run the Pulumi CLI on one stack.

The one way the fleet is deployed, by an operator or by CI (``.github/workflows/``):

- a stack must have its ``Pulumi.<stack>.yaml``, so a typo never creates a new, empty stack;
- without the Pulumi CLI it says how to install it, before anything is built;
- ``up`` on a confirmed stack (prod) asks for the stack's name typed back unless ``--yes``
  (CI, after the environment's approval); a wrong answer stops it with nothing run;
- ``up --yes`` still runs Pulumi's preview first (no ``--skip-preview``): the plan it prints
  is the record, in the log, of what changed;
- there is no destroy: tearing a stack down is a deliberate ``pulumi destroy`` by hand.

It never imports the program (Pulumi, moto, the local runtime): the program runs in the
Pulumi CLI's own process.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, get_args

from infra.registry import ROOT
from infra.settings import available_stacks

Action = Literal["preview", "up"]
# Stacks whose `up` asks for the name typed back: a slip of STACK= costs the most there.
CONFIRMED_STACKS = frozenset({"prod"})
INSTALL_HELP = """the Pulumi CLI is not on PATH. Install it, then run this again:
  curl -fsSL https://get.pulumi.com | sh      # Linux, macOS (then add ~/.pulumi/bin to PATH)
  brew install pulumi/tap/pulumi              # macOS with Homebrew
  https://www.pulumi.com/docs/iac/download-install/"""


class DeployError(Exception):
    """Nothing was run: the message says why and what to do."""


def require_stack(stack: str, root: Path = ROOT) -> None:
    """Refuse a stack without its settings, which Pulumi would create empty.

    Raises:
        DeployError: no ``Pulumi.<stack>.yaml`` (the message lists the stacks there are).
    """
    stacks = available_stacks(root)
    if stack not in stacks:
        raise DeployError(
            f"unknown stack {stack!r}: no Pulumi.{stack}.yaml. Stacks: {', '.join(stacks)}"
        )


def require_cli(pulumi: str | None) -> str:
    """``pulumi`` is where ``shutil.which`` found the CLI, or None.

    Raises:
        DeployError: the CLI is missing (the message says how to install it).
    """
    if pulumi is None:
        raise DeployError(INSTALL_HELP)
    return pulumi


def confirm(stack: str, ask: Callable[[str], str]) -> None:
    """Ask for the stack's name typed back.

    Raises:
        DeployError: any other answer, or no answer at all (stdin closed, as in CI).
    """
    try:
        answer = ask(f"Deploying to {stack}. Type the stack name ({stack}) to continue: ")
    except EOFError:
        answer = ""
    if answer.strip() != stack:
        raise DeployError(f"aborted: the answer was not {stack!r}; nothing was run")


def pulumi_args(action: Action, stack: str, yes: bool) -> list[str]:
    """The CLI's arguments. Without ``--yes``, ``pulumi up`` shows its plan and asks too."""
    args: list[str] = [action, "--stack", stack]
    if action == "up" and yes:
        args.append("--yes")
    return args


def package_apps() -> None:
    """``make package``: the packages Pulumi deploys, built from this checkout.

    Raises:
        subprocess.CalledProcessError: packaging failed (chalice's output is on stderr).
    """
    subprocess.run(["make", "--no-print-directory", "package"], cwd=ROOT, check=True)


def run(
    action: Action,
    stack: str,
    *,
    yes: bool,
    pulumi: str | None,
    ask: Callable[[str], str],
    package: Callable[[], None],
    root: Path = ROOT,
) -> int:
    """Check, confirm, package, then run Pulumi in ``root``; returns Pulumi's exit code.

    Every check comes before ``package``, so a refusal builds and deploys nothing.

    Raises:
        DeployError: unknown stack, missing CLI, or the confirmation was refused.
    """
    require_stack(stack, root)
    executable = require_cli(pulumi)
    if action == "up" and stack in CONFIRMED_STACKS and not yes:
        confirm(stack, ask)
    package()
    return subprocess.run([executable, *pulumi_args(action, stack, yes)], cwd=root).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=get_args(Action))
    parser.add_argument("--stack", required=True, help=f"one of {', '.join(available_stacks())}")
    parser.add_argument(
        "--yes", action="store_true", help="no questions (CI, after an approval): pulumi up --yes"
    )
    args = parser.parse_args(argv)
    try:
        return run(
            args.action,
            args.stack,
            yes=args.yes,
            pulumi=shutil.which("pulumi"),
            ask=input,
            package=package_apps,
        )
    except DeployError as err:
        print(f"deploy: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
