"""The Patchwork and lore clients against their wire-level fakes: the contract both sides
keep (pagination by the Link header, filters, the gzip mbox), and the client's politeness
and failure handling (User-Agent, retries with backoff, rate limit, typed errors)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.patches.exceptions import (
    RequestRejectedError,
    ServiceUnavailableError,
    ThreadNotFoundError,
)
from chalicelib.patches.lore import LoreClient
from chalicelib.patches.patchwork import PatchworkClient
from chalicelib.patches.transport import ApiCall, ServiceClient, retrying_session
from devstack.fakes.base import Fault
from devstack.fakes.lore import FakeLore, mail
from devstack.fakes.patchwork import FakePatchwork, patchwork_patch

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def patchwork() -> Iterator[FakePatchwork]:
    fake = FakePatchwork(max_page_size=10)
    fake.add(
        [
            patchwork_patch(
                n,
                "demo" if n % 4 else "other",
                f"[PATCH] {n}",
                START + timedelta(minutes=(n * 37) % 100),  # ids and dates in other orders
                f"p{n}@x.org",
                ("Ada", "ada@x.org"),
            )
            for n in range(1, 61)
        ]
    )
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def lore() -> Iterator[FakeLore]:
    fake = FakeLore()
    fake.start()
    yield fake
    fake.stop()


def transport(
    url: str, calls: list[ApiCall] | None = None, rate_limit: str = "1000/second"
) -> ServiceClient:
    return ServiceClient(
        "patchwork",
        url,
        session=retrying_session(backoff_seconds=0.001),
        rate_limit=rate_limit,
        observe=calls.append if calls is not None else None,
    )


def test_every_page_is_followed_by_its_link_header_in_date_order(
    patchwork: FakePatchwork,
) -> None:
    client = PatchworkClient(transport(patchwork.url), page_size=250)

    patches = list(client.patches("demo"))

    assert len(patches) == 45
    assert len({p["id"] for p in patches}) == 45
    assert [p["date"] for p in patches] == sorted(p["date"] for p in patches)
    assert len(patchwork.queries) == 5  # capped at 10 a page by the server
    assert all(q["per_page"] == "250" for q in patchwork.queries)


def test_since_and_before_select_a_window_of_dates(patchwork: FakePatchwork) -> None:
    client = PatchworkClient(transport(patchwork.url), page_size=250)
    since, before = START + timedelta(minutes=20), START + timedelta(minutes=40)

    patches = list(client.patches("demo", since=since, before=before))

    dates = [datetime.fromisoformat(p["date"]).replace(tzinfo=UTC) for p in patches]
    assert dates and all(since <= d < before for d in dates)
    assert patchwork.queries[0]["since"] == "2026-11-20T08:20:00"
    assert patchwork.queries[0]["before"] == "2026-11-20T08:40:00"


def test_a_failing_server_is_retried_then_reported_as_unavailable(
    patchwork: FakePatchwork,
) -> None:
    calls: list[ApiCall] = []
    client = PatchworkClient(transport(patchwork.url, calls), page_size=250)
    patchwork.fail_next(Fault("/patches/", status=503), times=2)

    assert len(list(client.patches("demo"))) == 45  # two 503s, then answers

    patchwork.fail_next(Fault("/patches/", status=500), times=4)
    with pytest.raises(ServiceUnavailableError, match="500"):
        list(client.patches("demo"))
    assert [c.failed for c in calls][-1] is True
    assert calls[-1].status == 500


def test_a_rejected_request_is_a_typed_error_and_not_retried(patchwork: FakePatchwork) -> None:
    client = PatchworkClient(transport(patchwork.url), page_size=250)
    patchwork.fail_next(Fault("/patches/", status=400, body={"since": ["bad"]}))

    with pytest.raises(RequestRejectedError, match="400"):
        list(client.patches("demo"))
    assert len(patchwork.requests) == 1


def test_every_request_names_the_project_and_waits_for_the_rate_limit(
    patchwork: FakePatchwork,
) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    limited = ServiceClient(
        "patchwork", patchwork.url, session=retrying_session(), rate_limit="4/second", sleep=sleep
    )
    for _ in range(6):
        limited.get("/api/1.3/patches/", {"project": "demo"})

    assert slept, "the fifth call in a second waited"
    assert len(patchwork.queries) == 6
    agents = {r["headers"]["User-Agent"] for r in patchwork.requests}
    assert len(agents) == 1 and agents.pop().startswith("serverless-fleet-patches/")


def test_lore_serves_a_whole_thread_as_gzip_found_by_any_of_its_messages(
    lore: FakeLore,
) -> None:
    root, reply = "root/1+x@x.org", "reply@x.org"
    lore.add_thread(
        [
            mail(root, "[PATCH] x", ("A", "a@x.org"), START, "patch\nFrom the start\n"),
            mail(reply, "Re: x", ("B", "b@x.org"), START, "ok\n", root, (root,)),
        ]
    )
    client = LoreClient(transport(lore.url), inbox="all")

    mbox = client.thread_mbox(reply)

    assert mbox.count(b"From mboxrd@z") == 2
    assert b"\n>From the start" in mbox  # mboxrd quoting
    assert lore.asked == [reply]
    assert client.thread_mbox(f"<{root}>") == mbox  # a slash in the id is escaped
    with pytest.raises(ThreadNotFoundError):
        client.thread_mbox("unknown@x.org")
