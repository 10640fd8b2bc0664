"""The patch fetchers against the fake Patchwork, on the tables and queues the program
declares in moto, through the Chalice app's handlers as EventBridge and SQS invoke them; and
the local stack's demo project they fetch there (or the real services instead)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from boto3.dynamodb.conditions import Key

from chalicelib.patches import names
from chalicelib.patches.env import LORE_URL, PATCHWORK_URL
from chalicelib.patches.exceptions import RefreshFailedError
from chalicelib.patches.state import cursor_key
from devstack.fakes.base import Fault
from devstack.fakes.patchwork import patchwork_patch
from devstack.local_stack import LocalStack
from devstack.mocks import MotoMocks
from devstack.outside import RealServices
from devstack.profiles import FakeContext
from devstack.profiles.patches import demo_project, tracked_projects
from devstack.stack import start_fakes
from tests.functional.conftest import STACK
from tests.functional.patches_support import (
    PROJECT,
    PatchesApp,
    emitted_metrics,
    items,
    logged,
    now,
    running_patches_app,
    table,
)

pytestmark = pytest.mark.systems("patches")


@pytest.fixture
def patches_app(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[PatchesApp]:
    yield from running_patches_app(dev_stack, monkeypatch)


def cursor() -> str | None:
    item = table(names.PATCHES_STATE_TABLE.base_name).get_item(
        Key={"state_key": cursor_key(PROJECT)}
    )
    cursor = item.get("Item", {}).get("cursor")
    return str(cursor) if cursor is not None else None


def stored() -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in items(names.PATCHES_TABLE.base_name)}


def test_the_hourly_run_follows_every_page_and_queues_one_thread_per_series(
    patches_app: PatchesApp, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = demo_project(PROJECT, now())
    patches_app.patchwork.add(demo.patches)
    patches_app.patchwork.max_page_size = 5  # the server caps what we ask for

    result = patches_app.fire("fetch_recent_patches")

    assert result == {
        "projects": {PROJECT: "fetched"},
        "fetched": 21,
        "new": 21,
        "updated": 0,
        "unchanged": 0,
        "invalid": 0,
        "threads_queued": 6,
    }
    pages = patches_app.patchwork.queries
    assert [q.get("page", "1") for q in pages] == ["1", "2", "3", "4", "5"]  # Link: next
    assert pages[0]["per_page"] == "250"  # the largest page Patchwork allows
    assert (pages[0]["project"], pages[0]["order"]) == (PROJECT, "date")
    agent = patches_app.patchwork.requests[0]["headers"]["User-Agent"]
    assert agent.startswith("serverless-fleet-patches/")
    patches = stored()
    assert set(patches) == {str(p["id"]) for p in demo.patches}
    first = patches["1001"]
    assert first["status_key"] == "STATUS#NEW"
    assert first["submitter_key"] == "SUBMITTER#grace@example.org"
    assert first["series_key"] == "SERIES#501"
    assert first["date"].endswith("Z")
    assert cursor() == max(p["date"] for p in patches.values())
    queued = patches_app.queued(patches_app.threads)
    assert sorted(len(q["patches"]) for q in queued) == [1, 1, 1, 4, 6, 8]
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["PatchesNew"] == [21]
    assert metrics["SuccessfulRuns"] == [1]
    assert metrics["PatchworkApiCalls"] == [1] * 5
    assert metrics["PatchworkBreakerOpen"] == [0]


def test_the_next_run_reads_from_the_cursor_less_the_overlap_and_writes_nothing_unchanged(
    patches_app: PatchesApp,
) -> None:
    patches_app.patchwork.add(demo_project(PROJECT, now()).patches)
    patches_app.fire("fetch_recent_patches")
    first_cursor = cursor()
    assert first_cursor is not None
    patches_app.queued(patches_app.threads)
    patches_app.patchwork.queries.clear()

    again = patches_app.fire("fetch_recent_patches")

    (query,) = patches_app.patchwork.queries  # one call when nothing is new
    overlap = datetime.fromisoformat(first_cursor) - timedelta(minutes=60)
    assert query["since"] == overlap.replace(tzinfo=None).isoformat()
    assert (again["new"], again["updated"], again["threads_queued"]) == (0, 0, 0)
    assert again["unchanged"] == again["fetched"] > 0  # the overlap, read and left alone
    assert patches_app.queued(patches_app.threads) == []
    assert cursor() == first_cursor


def test_a_patch_seen_twice_is_written_once(patches_app: PatchesApp) -> None:
    when = now() - timedelta(hours=1)
    patch = patchwork_patch(7, PROJECT, "[PATCH] x", when, "x@demo", ("Ada", "ada@example.org"))
    patches_app.patchwork.patches = [patch, dict(patch)]  # repeated across pages

    first = patches_app.fire("fetch_recent_patches")
    second = patches_app.fire("fetch_recent_patches")

    assert (first["fetched"], first["new"]) == (2, 1)
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 0, 1)
    assert list(stored()) == ["7"]
    assert len(patches_app.queued(patches_app.threads)) == 1


def test_a_state_change_upstream_updates_the_item_and_moves_it_in_the_status_index(
    patches_app: PatchesApp,
) -> None:
    patches_app.hold_demo()
    patches_app.fire("fetch_recent_patches")
    patches_app.drain_threads()
    before = stored()["1003"]
    patches_app.patchwork.set_state(1003, "accepted")

    planned = patches_app.fire("refresh_patches")  # the daily refresh, then its slices
    while patches_app.deliver(patches_app.slices, "refresh_slice", batch_size=1).received:
        pass

    assert planned["slices"] == 7
    after = stored()["1003"]
    assert (after["state"], after["status_key"]) == ("accepted", "STATUS#ACCEPTED")
    assert after["discussion"] == before["discussion"]  # the thread worker's summary stays
    index = table(names.PATCHES_TABLE.base_name)

    def in_state(key: str) -> set[str]:
        return {
            i["id"]
            for i in index.query(
                IndexName=names.STATUS_INDEX.name,
                KeyConditionExpression=Key("status_key").eq(key),
            )["Items"]
        }

    assert "1003" in in_state("STATUS#ACCEPTED")
    assert "1003" not in in_state("STATUS#NEW")
    (requeued,) = patches_app.queued(patches_app.threads)
    assert [p["id"] for p in requeued["patches"]] == ["1003"]


def test_the_daily_refresh_fans_its_window_out_in_day_slices(patches_app: PatchesApp) -> None:
    started = now()
    result = patches_app.fire("refresh_patches")

    slices = patches_app.queued(patches_app.slices)
    assert result == {"projects": [PROJECT], "days": 7, "slices": 7}
    assert len(slices) == 7
    bounds = sorted((s["since"], s["before"]) for s in slices)
    for (_, end), (start, _) in itertools.pairwise(bounds):
        assert end == start  # contiguous, no gap and no overlap
    first, last = datetime.fromisoformat(bounds[0][0]), datetime.fromisoformat(bounds[-1][1])
    assert last - first == timedelta(days=7)
    assert started <= last <= now()


def test_the_weekly_refresh_queues_the_threads_of_patches_still_under_review(
    patches_app: PatchesApp,
) -> None:
    patches_app.patchwork.add(demo_project(PROJECT, now()).patches)
    patches_app.fire("fetch_recent_patches")
    patches_app.queued(patches_app.threads)

    result = patches_app.fire("refresh_discussions")

    queued = patches_app.queued(patches_app.threads)
    # The three series (new, under-review, changes-requested) and two of the three single
    # patches: the accepted one is settled.
    assert result == {"patches": 20, "threads_queued": 5}
    assert sorted(len(q["patches"]) for q in queued) == [1, 1, 4, 6, 8]


def test_invalid_patches_are_counted_logged_and_never_stored(
    patches_app: PatchesApp, capsys: pytest.CaptureFixture[str]
) -> None:
    when = now() - timedelta(hours=1)
    good = patchwork_patch(1, PROJECT, "[PATCH] ok", when, "ok@demo", ("Ada", "ada@example.org"))
    no_submitter = {**patchwork_patch(2, PROJECT, "x", when, "b@demo", ("B", "b@x.org"))}
    no_submitter["submitter"] = None
    patches_app.patchwork.patches = [good, no_submitter]

    result = patches_app.fire("fetch_recent_patches")

    assert (result["new"], result["invalid"]) == (1, 1)
    assert list(stored()) == ["1"]
    (entry,) = logged(capsys.readouterr().out, "invalid patch skipped")
    assert entry["patch_id"] == "2"
    assert "submitter" in entry["reason"]


def test_a_project_patchwork_does_not_know_fails_the_run_after_the_others(
    patches_app: PatchesApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.patches import wiring

    monkeypatch.setattr(wiring, "projects", lambda: ["unknown", PROJECT])
    patches_app.patchwork.add(demo_project(PROJECT, now()).patches)
    # Django REST framework's answer to a filter naming no project.
    patches_app.patchwork.fail_next(Fault("/patches/", status=400, body={"project": ["?"]}))

    with pytest.raises(RefreshFailedError, match="unknown"):
        patches_app.fire("fetch_recent_patches")

    assert len(stored()) == 21  # the other project was stored
    assert cursor() is not None


def test_the_demo_project_has_series_nested_replies_and_a_malformed_message() -> None:
    demo = demo_project("linux-kselftest", datetime.now(UTC))

    series = {p["series"][0]["id"] for p in demo.patches if p["series"]}
    assert len(series) >= 3
    assert len(demo.patches) >= 20
    messages = b"\n".join(m for thread in demo.threads for m in thread)
    assert messages.count(b"In-Reply-To: <501.1.a@") == 1  # a reply to a reply to a patch
    assert (
        sum(b"\nDate:" not in b"\n" + m.partition(b"\n\n")[0] for t in demo.threads for m in t) == 1
    )


def test_the_fakes_serve_the_demo_unless_the_real_services_are_given(
    dev_stack: MotoMocks,
) -> None:
    context = FakeContext(dev_stack, datetime.now(UTC))
    faked = LocalStack(stack=STACK, host="127.0.0.1", moto_port=0, http_port=0)
    real = LocalStack(
        stack=STACK,
        host="127.0.0.1",
        moto_port=0,
        http_port=0,
        credentials=RealServices(
            {
                "patchwork": {PATCHWORK_URL: "https://patchwork.kernel.org"},
                "lore": {LORE_URL: "https://lore.kernel.org"},
            }
        ),
    )
    with ExitStack() as exits:
        environment = start_fakes(faked, exits, context)
        (project,) = tracked_projects(dev_stack)
        listed = requests.get(
            f"{environment[PATCHWORK_URL]}/api/1.3/patches/",
            params={"project": project, "per_page": "250"},
            timeout=10,
        ).json()
        first = listed[0]["msgid"].strip("<>")
        thread = requests.get(f"{environment[LORE_URL]}/all/{first}/t.mbox.gz", timeout=10)
        with ExitStack() as real_exits:
            # Nothing points the functions elsewhere: they inherit the URLs given to make dev.
            real_environment = start_fakes(real, real_exits, context)

    assert len(listed) == 21
    assert thread.status_code == 200
    assert thread.headers["Content-Type"] == "application/gzip"
    assert PATCHWORK_URL not in real_environment and LORE_URL not in real_environment
    assert not {"patchwork", "lore"} & set(real.fakes)
