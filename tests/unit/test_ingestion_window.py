"""Which window the next scheduled run fetches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.mentions.ingestion import WindowSettings, ingestion_window

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WINDOW = WindowSettings(
    first_run_lookback_hours=24, overlap_minutes=10, max_window_hours=6, lease_seconds=360
)


def test_the_first_run_reaches_back_the_lookback_capped_by_the_max_window() -> None:
    start, end = ingestion_window(None, NOW, WINDOW)

    assert start == NOW - timedelta(hours=24)
    assert end == start + timedelta(hours=6)


def test_a_later_run_starts_the_overlap_before_the_cursor_and_ends_now() -> None:
    start, end = ingestion_window("2026-11-23T11:45:00Z", NOW, WINDOW)

    assert start == datetime(2026, 11, 23, 11, 35, tzinfo=UTC)
    assert end == NOW


def test_a_project_far_behind_catches_up_one_max_window_per_run() -> None:
    cursor = "2026-11-20T00:00:00Z"
    windows = []
    for _ in range(3):
        start, end = ingestion_window(cursor, NOW, WINDOW)
        windows.append((start, end))
        cursor = end.isoformat()

    assert [end for _, end in windows] == [
        datetime(2026, 11, 20, h, tzinfo=UTC) for h in (6, 12, 18)
    ]
    assert all(end - start == timedelta(hours=6, minutes=10) for start, end in windows)
