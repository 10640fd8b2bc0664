"""csvchat's page in a real browser (Debian's chromium, driven by Playwright), against the
shared local stack, as a person uses it: sign in with a demo user; upload a CSV and watch
its line go from "reading its columns" to ready; tell two uploads of the same file apart
in the list (when, size, rows, columns); see why a file could not be read; delete a dataset
(after saying no once); ask for a measure by a group and get a bar chart beside the table;
upload a file above the dev stack's multipart threshold in parts, with its progress bar.

The browser runs in UTC with a British locale, so dates on the page can be checked exactly.
Screenshots are kept under each test's tmp directory."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from infra.settings import read_system_settings
from infra.systems.csvchat.settings import MIB, CsvchatSettings
from tests.e2e.support import CHROMIUM

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Locator, Page

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium executable (make install puts Debian's there)"
)

SALES = "region,price,units\nnorth,1.5,3\nsouth,2.25,1\nnorth,3,2\n"
# A few rows shaped like the well-known penguins data (made up here, not copied).
PENGUINS = (
    "species,island,bill_length_mm,body_mass_g\n"
    "Adelie,Torgersen,39.1,3750\n"
    "Adelie,Torgersen,39.5,3800\n"
    "Adelie,Biscoe,40.3,3250\n"
    "Chinstrap,Dream,46.5,3500\n"
    "Chinstrap,Dream,50.0,3900\n"
    "Gentoo,Biscoe,46.1,4500\n"
    "Gentoo,Biscoe,50.0,5700\n"
    "Gentoo,Biscoe,48.7,5450\n"
)
# Records the texts of an element as they change, so a test sees a state that has passed.
RECORD_TEXTS = """id => {
  const node = document.getElementById(id);
  window.seen = window.seen || {};
  const seen = window.seen[id] = [node.textContent];
  new MutationObserver(() => seen.push(node.textContent))
    .observe(node, { childList: true, characterData: true, subtree: true });
}"""
# Records the progress bar's value and visibility each time either changes.
RECORD_PROGRESS = """() => {
  const bar = document.getElementById("upload-progress");
  window.progress = [];
  new MutationObserver(() => window.progress.push([bar.value, bar.checkVisibility()]))
    .observe(bar, { attributes: true, attributeFilter: ["value", "class"] });
}"""
# Counts the page's DELETE requests as it sends them (a click's handler sends at once).
COUNT_DELETES = """() => {
  window.deletes = 0;
  const sendRequest = window.fetch;
  window.fetch = (url, options) => {
    if (options && options.method === "DELETE") window.deletes += 1;
    return sendRequest(url, options);
  };
}"""
# The page's own API call (its signed-in token), for what a test checks behind the page.
API_STATUS = (
    """async path => (await fetch(path, { headers: { Authorization: state.token } })).status"""
)


@pytest.fixture
def page(browser: Browser, local_stack: dict[str, Any]) -> Iterator[Page]:
    """A signed-in page (the second demo user's: the first one's is for people trying the
    stack), each test in a context of its own."""
    from playwright.sync_api import expect

    user = local_stack["demo"]["users"][1]
    context = browser.new_context(
        locale="en-GB", timezone_id="UTC", viewport={"width": 1200, "height": 900}
    )
    opened = context.new_page()
    opened.on("console", lambda m: print("console:", m.text))  # kept in the report
    opened.goto(local_stack["apps"]["csvchat"] + "/")
    opened.fill("#username", user["username"])
    opened.fill("#password", user["password"])
    opened.click("#signin-button")
    expect(opened.locator("#app")).to_be_visible()
    try:
        yield opened
    finally:
        context.close()


def items_named(page: Page, filename: str) -> Locator:
    return page.locator("#datasets > li.dataset").filter(
        has=page.locator(".name", has_text=filename)
    )


def upload(page: Page, path: Path, outcome: str = "is ready") -> None:
    """Choose ``path`` in the file input and wait until the page tells how it ended."""
    from playwright.sync_api import expect

    page.set_input_files("#file", str(path))
    expect(page.locator("#upload-status")).to_contain_text(f"{path.name} {outcome}", timeout=60_000)


def listed(page: Page) -> list[dict[str, Any]]:
    """Every dataset of the signed-in user, as the API lists them."""
    result: list[dict[str, Any]] = page.evaluate(
        "async () => (await api('GET', 'datasets?limit=100')).items"
    )
    return result


def shown_time(created_at: str) -> str:
    """How en-GB in UTC writes a date and time (``dateStyle/timeStyle: medium``)."""
    when = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return f"{when.day} {when:%b %Y}, {when:%H:%M:%S}"


def test_the_list_tells_uploads_apart_and_follows_each_to_ready(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    csv_file = tmp_path / "twice-sales.csv"
    csv_file.write_text(SALES)
    page.evaluate(RECORD_TEXTS, "upload-status")

    upload(page, csv_file)
    first = page.evaluate("() => window.seen['upload-status']")
    reading = first.index("twice-sales.csv uploaded; reading its columns…")
    assert "twice-sales.csv is ready: 3 rows, 3 columns" in first[-1], first
    assert reading < len(first) - 1, first
    expect(items_named(page, "twice-sales.csv")).to_have_count(1)
    items_named(page, "twice-sales.csv").locator("details.columns summary").click()
    # The same file again: the list shows two items a person can tell apart.
    upload(page, csv_file)
    items = items_named(page, "twice-sales.csv")
    expect(items).to_have_count(2)
    expect(items.locator(".state")).to_have_text(["ready", "ready"])

    from_api = sorted(
        (d for d in listed(page) if d["filename"] == "twice-sales.csv"),
        key=lambda d: d["created_at"],
        reverse=True,
    )
    times = items.locator("time")
    assert [times.nth(i).get_attribute("datetime") for i in range(2)] == [
        d["created_at"] for d in from_api
    ], "newest first, each with its own upload time"
    expect(times).to_have_text([shown_time(d["created_at"]) for d in from_api])
    expect(items.locator(".size")).to_have_text([f"{len(SALES)} bytes"] * 2)
    expect(items.locator(".rows")).to_have_text(["3 rows"] * 2)
    expect(items.locator(".column-count")).to_have_text(["3 columns"] * 2)
    # The first upload's column list, opened before the second, stayed open as the list
    # was read again.
    columns = items.nth(1).locator("details.columns")
    expect(columns).to_have_attribute("open", "")
    expect(columns.locator("li")).to_have_count(3)
    expect(columns).to_contain_text("price double")
    shot = tmp_path / "csvchat-list.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


def test_a_file_that_cannot_be_read_says_why(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    header_only = tmp_path / "fail-header-only.csv"
    header_only.write_text("region,price\n")

    upload(page, header_only, "could not be read")
    (found,) = (d for d in listed(page) if d["filename"] == header_only.name)
    assert found["status"] == "failed" and found["reason"]
    expect(page.locator("#upload-status .error")).to_have_text(
        f"{header_only.name} could not be read: {found['reason']}"
    )
    item = items_named(page, header_only.name)
    expect(item.locator(".state.failed")).to_have_text(f"could not be read: {found['reason']}")


def test_delete_asks_first_then_removes_the_dataset(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    csv_file = tmp_path / "delete-me.csv"
    csv_file.write_text(SALES)
    upload(page, csv_file)
    (found,) = (d for d in listed(page) if d["filename"] == csv_file.name)
    item = items_named(page, csv_file.name)
    questions: list[str] = []

    def say_no(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    page.evaluate(COUNT_DELETES)
    item.locator("button.delete").click()
    assert questions and "delete-me.csv" in questions[0], questions
    assert page.evaluate("() => window.deletes") == 0, "said no: nothing is deleted"
    expect(item).to_have_count(1)
    page.once("dialog", lambda d: d.accept())
    item.locator("button.delete").click()

    expect(item).to_have_count(0)
    expect(page.locator("#datasets-status")).to_contain_text("delete-me.csv")
    assert page.evaluate(API_STATUS, f"datasets/{found['dataset_id']}") == 404


def test_a_measure_by_a_group_is_drawn_as_bars_beside_the_table(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    csv_file = tmp_path / "penguins.csv"
    csv_file.write_text(PENGUINS)
    upload(page, csv_file)
    items_named(page, "penguins.csv").locator(".name").click()
    expect(page.locator("#ask-form")).to_be_visible()
    page.fill("#question", "average body_mass_g by species")
    page.click("#ask-button")

    answer = page.locator("#history .msg").last
    table = answer.locator("table.result")
    expect(table).to_be_visible(timeout=15_000)
    expect(table.locator("tbody tr")).to_have_count(3)
    masses: dict[str, list[float]] = {}
    for row in csv.DictReader(io.StringIO(PENGUINS)):
        masses.setdefault(row["species"], []).append(float(row["body_mass_g"]))
    expected = {species: sum(m) / len(m) for species, m in sorted(masses.items())}
    bars = answer.locator("figure.chart svg rect.bar")
    expect(bars).to_have_count(3)
    drawn = [
        (
            str(bar.get_attribute("data-label")),
            float(bar.get_attribute("data-value") or "nan"),
            float(bar.get_attribute("width") or "nan"),
        )
        for bar in bars.all()
    ]
    assert [label for label, _, _ in drawn] == list(expected)
    for label, value, _ in drawn:
        assert value == pytest.approx(expected[label]), label
    widest = max(width for _, _, width in drawn)
    for label, _, width in drawn:
        assert width / widest == pytest.approx(expected[label] / max(expected.values())), label
    chart_box, table_box = answer.locator("figure.chart").bounding_box(), table.bounding_box()
    assert chart_box and table_box and chart_box["x"] >= table_box["x"] + table_box["width"], (
        "the chart is beside the table"
    )
    shot = tmp_path / "csvchat-chart.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


def big_csv(path: Path, size: int) -> int:
    """A CSV of at least ``size`` bytes (rows of 24); returns its number of data rows."""
    header = "station,day,temperature_c\n"
    rows = math.ceil((size - len(header)) / 24)
    with path.open("w") as out:
        out.write(header)
        for n in range(rows):
            out.write(
                f"ST{n % 997:05d},2026-{n % 12 + 1:02d}-{n % 28 + 1:02d},{n % 401 / 10:04.1f}\n"
            )
    return rows


def test_a_file_above_the_multipart_threshold_goes_up_in_parts_with_progress(
    page: Page, tmp_path: Path
) -> None:
    from playwright.sync_api import Request, expect

    limits = read_system_settings("dev", "csvchat", CsvchatSettings).uploads
    threshold, part_size = limits.multipart_threshold_mb * MIB, limits.part_size_mb * MIB
    big = tmp_path / "multipart-weather.csv"
    rows = big_csv(big, threshold + part_size // 2)
    size = big.stat().st_size
    assert size > threshold
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.method in ("PUT", "POST") else None)
    page.evaluate(RECORD_PROGRESS)

    upload(page, big)

    puts = [r for r in sent if r.method == "PUT"]
    numbers = sorted({int(r.url.split("partNumber=")[1].split("&")[0]) for r in puts})
    assert numbers == list(range(1, math.ceil(size / part_size) + 1)), [r.url for r in puts]
    assert any(r.url.endswith("/complete") for r in sent)
    progress = page.evaluate("() => window.progress")
    values = [value for value, _ in progress]
    assert values == sorted(values) and values[-1] == 100, progress
    assert any(0 < value < 100 and visible for value, visible in progress), progress
    item = items_named(page, big.name)
    expect(item.locator(".state")).to_have_text("ready")
    expect(item.locator(".size")).to_have_text(f"{size / MIB:.0f} MB")
    # Counted while the table's copy was written: no "about".
    expect(item.locator(".rows")).to_have_text(f"{rows:,} rows")
    shot = tmp_path / "csvchat-multipart.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
