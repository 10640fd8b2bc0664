"""One local stack for every end-to-end test that can share it: session-scoped, so each
pytest-xdist worker that runs such a test boots it once (``make test`` sends each file to
one worker: ``--dist loadfile``); a test that needs a stack of its own starts one
(``start_stack``)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from devstack.profiles import fakes, profiles
from tests.e2e.support import CHROMIUM, start_stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def local_stack(
    built_packages: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        # These tests check what the fakes received: never a developer's real accounts.
        for variable in (v for f in fakes(profiles()).values() for v in f.real_variables):
            patch.delenv(variable, raising=False)
        # Failed messages and events are retried at once, so a DLQ test takes seconds, not
        # 30 minutes.
        launched, description = start_stack(
            tmp_path_factory.mktemp("local"),
            "--redeliver-after",
            "0",
            "--async-retry-delay",
            "0",
        )
    yield description
    if launched.process.poll() is None:
        # Ctrl-C, so the stack stops every process it started (a SIGKILL would orphan them).
        try:
            launched.stop()
        except subprocess.TimeoutExpired:
            launched.process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium driven by Playwright, one per test module of pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
