"""The local stack's program run in a process of its own (``devstack/program_process.py``):
its errors come back as the stack reports them, and its record reads as a run's mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.program_process import ProgramRecord, run_aside
from devstack.pulumi_mocks import MockResourceArgs
from tests.conftest import REGION


def test_an_unknown_setting_is_a_value_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="serverless-fleet:no-such-system"):
        run_aside(
            "dev",
            REGION,
            tmp_path / "record.pickle",
            overrides={"serverless-fleet:no-such-system": {"a": 1}},
        )
    assert not (tmp_path / "record.pickle").exists()


def test_an_unknown_system_is_a_value_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such system"):
        run_aside("dev", REGION, tmp_path / "record.pickle", systems=["nosuch"])


def test_a_record_runs_nothing() -> None:
    with pytest.raises(TypeError, match="creates nothing"):
        ProgramRecord(REGION).create(
            MockResourceArgs("aws:sqs/queue:Queue", "q", {}, None, None)  # type: ignore[arg-type]
        )
