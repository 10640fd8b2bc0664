"""``make upgrade``'s report: which pins moved, and which step of the suite broke."""

from __future__ import annotations

from infra.upgrade import Change, CheckResult, pin_changes, render


def test_only_pins_that_appear_disappear_or_move_are_changes() -> None:
    before = {"moto": "5.2.5", "botocore": "1.40.4", "six": "1.17.0"}
    after = {"moto": "5.2.6", "botocore": "1.40.4", "duckdb": "2.0.1"}

    changes = pin_changes(before, after)

    assert changes == [
        Change("duckdb", None, "2.0.1"),
        Change("moto", "5.2.5", "5.2.6"),
        Change("six", "1.17.0", None),
    ]


def test_the_report_names_the_first_broken_step_and_its_failed_tests() -> None:
    results = [
        CheckResult("install", 0, (), ""),
        CheckResult("pytest", 1, ("tests/e2e/test_csvchat_page.py::test_sign_in",), "1 failed"),
    ]

    report = render([Change("moto", "5.2.5", "5.2.6")], results)

    assert "**FAILED: pytest**" in report
    assert "| moto | 5.2.5 | 5.2.6 |" in report
    assert "  - tests/e2e/test_csvchat_page.py::test_sign_in" in report
    assert "- install: ok" in report


def test_a_green_run_with_nothing_moved_says_so() -> None:
    report = render([], [CheckResult("pytest", 0, (), "")])

    assert "**the suite passes**" in report
    assert "nothing moved" in report
