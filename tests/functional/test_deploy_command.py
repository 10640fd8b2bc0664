"""``make preview|deploy STACK=...`` (ops/deploy.py) against a stand-in ``pulumi`` that records
its arguments. Packaging is a parameter here; nothing is built or deployed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.settings import available_stacks
from ops.deploy import ROOT, DeployError, main, run


def stand_in_pulumi(folder: Path, exit_code: int = 0) -> Path:
    """A ``pulumi`` on a PATH of its own that writes its argv and cwd beside itself."""
    script = folder / "pulumi"
    script.write_text(
        f'#!/bin/sh\npwd > "$0.cwd"\nprintf "%s\\n" "$@" > "$0.argv"\nexit {exit_code}\n'
    )
    script.chmod(0o755)
    return script


def recorded_argv(script: Path) -> list[str] | None:
    argv = script.with_name("pulumi.argv")
    return argv.read_text().splitlines() if argv.is_file() else None


class Packaging:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def refuse_to_ask(prompt: str) -> str:
    raise AssertionError(f"asked {prompt!r}")


def run_module(*args: str, path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m ops.deploy`` with only ``path`` on PATH."""
    return subprocess.run(
        [sys.executable, "-m", "ops.deploy", *args],
        cwd=ROOT,
        env={**os.environ, "PATH": str(path)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_to_prod_asks_for_the_name_typed_back_then_runs_up_on_prod(
    tmp_path: Path,
) -> None:
    # GIVEN a pulumi on PATH and an operator who types "prod"
    script = stand_in_pulumi(tmp_path)
    prompts: list[str] = []
    package = Packaging()

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return "prod"

    # WHEN they deploy prod
    code = run(
        "up",
        "prod",
        yes=False,
        pulumi=shutil.which("pulumi", path=str(tmp_path)),
        ask=answer,
        package=package,
    )

    # THEN they were asked once, the apps were packaged, and pulumi ran on prod in the repo
    assert code == 0
    assert len(prompts) == 1 and "prod" in prompts[0]
    assert package.calls == 1
    assert recorded_argv(script) == ["up", "--stack", "prod"]
    assert Path(script.with_name("pulumi.cwd").read_text().strip()) == ROOT


def test_yes_asks_nothing_and_tells_pulumi_not_to_ask(tmp_path: Path) -> None:
    script = stand_in_pulumi(tmp_path)
    code = run(
        "up",
        "prod",
        yes=True,
        pulumi=str(script),
        ask=refuse_to_ask,
        package=Packaging(),
    )
    assert code == 0
    assert recorded_argv(script) == ["up", "--stack", "prod", "--yes"]


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_other_stacks_deploy_without_the_question(tmp_path: Path, stack: str) -> None:
    script = stand_in_pulumi(tmp_path)
    run("up", stack, yes=False, pulumi=str(script), ask=refuse_to_ask, package=Packaging())
    assert recorded_argv(script) == ["up", "--stack", stack]


def test_preview_of_prod_asks_nothing(tmp_path: Path) -> None:
    script = stand_in_pulumi(tmp_path)
    package = Packaging()
    run("preview", "prod", yes=False, pulumi=str(script), ask=refuse_to_ask, package=package)
    assert package.calls == 1
    assert recorded_argv(script) == ["preview", "--stack", "prod"]


def test_pulumis_exit_code_is_the_commands(tmp_path: Path) -> None:
    script = stand_in_pulumi(tmp_path, exit_code=3)
    code = run("up", "dev", yes=True, pulumi=str(script), ask=refuse_to_ask, package=Packaging())
    assert code == 3


def test_an_unknown_stack_is_refused_with_the_stacks_there_are(tmp_path: Path) -> None:
    script = stand_in_pulumi(tmp_path)
    package = Packaging()
    with pytest.raises(DeployError) as refused:
        run("up", "qa", yes=True, pulumi=str(script), ask=refuse_to_ask, package=package)
    assert "Pulumi.qa.yaml" in str(refused.value)
    assert ", ".join(available_stacks()) in str(refused.value)
    assert (package.calls, recorded_argv(script)) == (0, None)


def test_every_stack_file_is_a_stack() -> None:
    assert {"dev", "staging", "prod"} <= set(available_stacks())


@pytest.mark.parametrize("answer", ["prd\n", "dev\n", ""])
def test_a_wrong_or_missing_answer_aborts_with_nothing_run(tmp_path: Path, answer: str) -> None:
    script = stand_in_pulumi(tmp_path)
    done = run_module("up", "--stack", "prod", path=tmp_path, stdin=answer)
    assert done.returncode != 0
    assert "Type the stack name (prod)" in done.stdout
    assert "aborted" in done.stderr and "nothing was run" in done.stderr
    assert recorded_argv(script) is None


def test_without_the_cli_it_says_how_to_install_it(tmp_path: Path) -> None:
    done = run_module("up", "--stack", "prod", path=tmp_path)
    assert done.returncode != 0
    assert "curl -fsSL https://get.pulumi.com | sh" in done.stderr
    assert "brew install pulumi/tap/pulumi" in done.stderr
    assert "Type the stack name" not in done.stdout


def test_nothing_destroys_a_stack() -> None:
    with pytest.raises(SystemExit):
        main(["destroy", "--stack", "prod"])
    assert "destroy" not in (ROOT / "Makefile").read_text()


def test_the_make_targets_require_a_stack_and_call_the_command() -> None:
    for target in ("preview", "deploy"):
        missing = subprocess.run(
            ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert missing.returncode != 0
        assert "STACK" in missing.stderr
    planned = subprocess.run(
        ["make", "-n", "deploy", "STACK=prod"], cwd=ROOT, capture_output=True, text=True
    )
    assert "-m ops.deploy up --stack 'prod'" in planned.stdout


def test_the_command_imports_neither_pulumi_nor_the_local_runtime() -> None:
    probe = (
        "import sys, ops.deploy; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pulumi', 'pulumi_aws', 'moto', 'flask', 'croniter', 'devstack'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
