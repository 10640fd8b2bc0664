"""Patchwork's patches as we store them: keys, fingerprints, invalid ones; how threads and
slices of work are cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.patches.lore import thread_path
from chalicelib.patches.patchwork import patchwork_time
from chalicelib.patches.records import InvalidPatch, Patch, public_patch, to_patch
from chalicelib.patches.work import day_slices, thread_requests
from devstack.fakes.patchwork import patchwork_patch

WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def patch(patch_id: int, series: int | None = None, minutes: int = 0, state: str = "new") -> Patch:
    raw = patchwork_patch(
        patch_id,
        "demo",
        f"[PATCH] {patch_id}",
        WHEN + timedelta(minutes=minutes),
        f"p{patch_id}@x.org",
        ("Ada", "Ada@Example.org"),
        state,
        (series, f"series {series}", 2) if series else None,
    )
    result = to_patch(raw)
    assert isinstance(result, Patch)
    return result


def test_a_patchwork_patch_becomes_an_item_with_its_index_keys() -> None:
    item = patch(7, series=3, state="under-review").item()

    assert item["id"] == "7"
    assert item["project"] == "demo"
    assert item["msgid"] == "p7@x.org"  # no angle brackets
    assert item["date"] == "2026-11-20T10:00:00Z"  # Patchwork's naive UTC, made explicit
    assert item["status_key"] == "STATUS#UNDER-REVIEW"
    assert item["submitter_key"] == "SUBMITTER#ada@example.org"
    assert item["series_key"] == "SERIES#3"
    assert item["series"] == {"id": "3", "name": "series 3", "version": 2}
    assert "discussion" not in item  # the thread worker's, never overwritten from here
    assert "series_key" not in patch(8).item()  # sparse: no series, not in SeriesIndex


def test_the_fingerprint_changes_with_what_patchwork_says_and_only_then() -> None:
    assert patch(7).fingerprint() == patch(7).fingerprint()
    assert patch(7).fingerprint() != patch(7, state="accepted").fingerprint()


def test_an_invalid_patch_says_why() -> None:
    raw = patchwork_patch(9, "demo", "x", WHEN, "m@x", ("A", "a@x.org"))
    result = to_patch({**raw, "date": "not a date", "state": "Bad State"})

    assert isinstance(result, InvalidPatch)
    assert result.patch_id == "9"
    assert "date" in result.reason and "state" in result.reason


def test_the_public_view_carries_what_the_spec_lists() -> None:
    shown = public_patch(patch(7, series=3).item())

    assert set(shown) >= {"id", "name", "state", "date", "submitter", "series", "msgid", "web_url"}
    assert shown["submitter"] == {"name": "Ada", "email": "Ada@Example.org"}
    assert shown["series"] == {"id": "3", "name": "series 3", "version": 2}
    assert public_patch(patch(8).item())["series"] is None


def test_patches_of_a_series_travel_in_one_thread_request_found_by_the_earliest() -> None:
    requests = thread_requests(
        [patch(3, series=1, minutes=2), patch(2, series=1, minutes=1), patch(9), patch(4, 2)]
    )

    by_size = sorted(requests, key=lambda r: len(r.patches))
    assert [len(r.patches) for r in by_size] == [1, 1, 2]
    assert by_size[2].msgid == "p2@x.org"
    assert [p.id for p in by_size[2].patches] == ["2", "3"]


def test_a_window_is_cut_in_contiguous_days() -> None:
    slices = day_slices("demo", WHEN - timedelta(days=2, hours=6), WHEN)

    assert [(s.since, s.before) for s in slices] == [
        (WHEN - timedelta(days=2, hours=6), WHEN - timedelta(days=1, hours=6)),
        (WHEN - timedelta(days=1, hours=6), WHEN - timedelta(hours=6)),
        (WHEN - timedelta(hours=6), WHEN),
    ]


def test_the_services_are_addressed_in_their_own_formats() -> None:
    assert patchwork_time(datetime(2026, 11, 20, 11, 0, 5, 123, tzinfo=UTC)) == (
        "2026-11-20T11:00:05"
    )
    assert thread_path("all", "<a/b+c@x.org>") == "/all/a%2Fb%2Bc@x.org/t.mbox.gz"
