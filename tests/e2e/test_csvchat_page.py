"""csvchat's page in a real browser (Debian's chromium, driven by Playwright), against the
shared local stack, as a user clicks it: sign in with a demo user, upload a CSV (the
progress bar reaches 100), wait for the dataset to be ready, ask a question, see the
answer and the result table. A screenshot is kept under the test's tmp directory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium executable (make install puts Debian's there)"
)

SALES = "region,price,units\nnorth,1.5,3\nsouth,2.25,1\nnorth,3,2\n"


def test_sign_in_upload_ask_and_see_the_table(local_stack: dict[str, Any], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    user = local_stack["demo"]["users"][1]
    csv = tmp_path / "page-sales.csv"
    csv.write_text(SALES)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: print("console:", m.text))  # kept in the report
            page.goto(local_stack["apps"]["csvchat"] + "/")
            page.fill("#username", user["username"])
            page.fill("#password", user["password"])
            page.click("#signin-button")
            expect(page.locator("#app")).to_be_visible()
            page.set_input_files("#file", str(csv))
            expect(page.locator("#upload-status")).to_contain_text("uploaded", timeout=15_000)
            assert page.eval_on_selector("#upload-progress", "bar => bar.value") == 100
            ready = page.locator("li.dataset", has_text="page-sales.csv — ready")
            expect(ready).to_be_visible(timeout=30_000)
            ready.click()
            expect(page.locator("#ask-form")).to_be_visible()
            page.fill("#question", "average price by region")
            page.click("#ask-button")
            table = page.locator("#history table.result").last
            expect(table).to_be_visible(timeout=15_000)
            expect(table.locator("tbody tr")).to_have_count(2)
            expect(table).to_contain_text("north")
            expect(page.locator("#history .answer").last).to_contain_text("2.25")
            shot = tmp_path / "csvchat-page.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        finally:
            browser.close()
