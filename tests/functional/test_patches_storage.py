"""What patches keeps in DynamoDB, on the tables the program declares (moto):

- the circuit breaker whose state every invocation shares: it opens after N consecutive
  failures of a service, stays open for every invocation, lets one trial through after the
  cool-down, and closes on its success;
- the repositories (seed 001 §1.4): a paginated query for every access pattern, the thread
  transaction, typed errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from chalicelib.patches import names
from chalicelib.patches.breaker import BreakerSettings, CircuitBreaker, breaker_key
from chalicelib.patches.discussion_repository import BodyStore, DiscussionRepository
from chalicelib.patches.exceptions import (
    CircuitOpenError,
    DatabaseError,
    ItemNotFoundError,
    ServiceUnavailableError,
)
from chalicelib.patches.patch_repository import PatchRepository
from chalicelib.patches.patchwork import PatchworkClient
from chalicelib.patches.records import Patch, to_patch
from chalicelib.patches.storage import Page
from chalicelib.patches.transport import ServiceClient, retrying_session
from devstack.fakes.base import Fault
from devstack.fakes.patchwork import FakePatchwork, patchwork_patch
from devstack.mocks import MotoMocks
from tests.conftest import REGION
from tests.functional.patches_support import (
    PatchesApp,
    emitted_metrics,
    logged,
    running_patches_app,
    table,
)

pytestmark = pytest.mark.systems("patches")

SETTINGS = BreakerSettings(failures=3, cooldown_seconds=300, trial_seconds=60)
SERVICE = names.PATCHWORK
WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def patches_app(dev_stack: MotoMocks, monkeypatch: pytest.MonkeyPatch) -> Iterator[PatchesApp]:
    yield from running_patches_app(dev_stack, monkeypatch)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def invocation(clock: Clock) -> CircuitBreaker:
    """The breaker as one invocation builds it (each starts from the stored state)."""
    return CircuitBreaker(table(names.PATCHES_STATE_TABLE.base_name), SERVICE, SETTINGS, clock)


def client(fake: FakePatchwork, breaker: CircuitBreaker) -> PatchworkClient:
    transport = ServiceClient(
        SERVICE,
        fake.url,
        breaker=breaker,
        session=retrying_session(backoff_seconds=0.001),
        rate_limit="1000/second",
    )
    return PatchworkClient(transport, page_size=250)


def call(fake: FakePatchwork, breaker: CircuitBreaker) -> None:
    list(client(fake, breaker).patches("demo"))


def stored_state() -> dict[str, object]:
    key = {"state_key": breaker_key(SERVICE)}
    return dict(table(names.PATCHES_STATE_TABLE.base_name).get_item(Key=key).get("Item", {}))


def test_the_breaker_opens_after_n_failures_and_stays_open_across_invocations(
    patches_app: PatchesApp,
) -> None:
    fake, clock = patches_app.patchwork, Clock()
    fake.fail_next(Fault("/patches/", status=503), times=3 * 4)  # 3 calls, 4 attempts each
    for _ in range(3):
        with pytest.raises(ServiceUnavailableError):
            call(fake, invocation(clock))
    assert stored_state()["state"] == "open"
    asked = len(fake.queries)

    for _ in range(2):  # the next invocations: refused without a call
        breaker = invocation(clock)
        with pytest.raises(CircuitOpenError) as refused:
            call(fake, breaker)
        assert refused.value.retry_after_seconds == 300
        assert breaker.last_state == "open"
    assert len(fake.queries) == asked


def test_after_the_cool_down_one_trial_goes_through_and_its_success_closes_it(
    patches_app: PatchesApp,
) -> None:
    fake, clock = patches_app.patchwork, Clock()
    fake.fail_next(Fault("/patches/", status=503), times=3 * 4)
    for _ in range(3):
        with pytest.raises(ServiceUnavailableError):
            call(fake, invocation(clock))
    clock.now += 301

    trial, other = invocation(clock), invocation(clock)
    trial.allow()  # the trial: half-open
    assert stored_state()["state"] == "half_open"
    with pytest.raises(CircuitOpenError):
        other.allow()  # everyone else is still refused
    trial.record_success()

    assert stored_state()["state"] == "closed"
    assert stored_state()["failures"] == 0
    call(fake, invocation(clock))  # closed again for everybody


def test_a_failed_trial_opens_the_breaker_for_a_new_cool_down(patches_app: PatchesApp) -> None:
    fake, clock = patches_app.patchwork, Clock()
    fake.fail_next(Fault("/patches/", status=503), times=4 * 4)
    for _ in range(3):
        with pytest.raises(ServiceUnavailableError):
            call(fake, invocation(clock))
    clock.now += 301

    with pytest.raises(ServiceUnavailableError):
        call(fake, invocation(clock))  # the trial fails

    assert stored_state()["state"] == "open"
    assert stored_state()["opened_at"] == int(clock.now)
    with pytest.raises(CircuitOpenError):
        invocation(clock).allow()


def test_a_trial_that_never_reports_lets_another_caller_try(patches_app: PatchesApp) -> None:
    clock = Clock()
    breaker = invocation(clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 301
    invocation(clock).allow()  # this trial's invocation dies without reporting

    clock.now += SETTINGS.trial_seconds + 1
    successor = invocation(clock)
    successor.allow()

    assert successor.last_state == "half_open"


def test_a_success_between_failures_resets_the_count(patches_app: PatchesApp) -> None:
    fake, clock = patches_app.patchwork, Clock()
    fake.fail_next(Fault("/patches/", status=503), times=2 * 4)
    for _ in range(2):
        with pytest.raises(ServiceUnavailableError):
            call(fake, invocation(clock))
    call(fake, invocation(clock))
    fake.fail_next(Fault("/patches/", status=503), times=2 * 4)
    for _ in range(2):
        with pytest.raises(ServiceUnavailableError):
            call(fake, invocation(clock))

    assert stored_state()["state"] == "closed"  # 2 + 2 failures, never 3 in a row


def test_an_hourly_run_that_finds_the_breaker_open_stops_cleanly_and_says_so(
    patches_app: PatchesApp, capsys: pytest.CaptureFixture[str]
) -> None:
    patches_app.hold_demo()
    breaker = CircuitBreaker(
        table(names.PATCHES_STATE_TABLE.base_name), SERVICE, SETTINGS
    )  # the real clock: open now, cooling down
    for _ in range(3):
        breaker.record_failure()

    result = patches_app.fire("fetch_recent_patches")

    assert result["projects"] == {"linux-kselftest": "circuit_open"}
    assert patches_app.patchwork.queries == []
    output = capsys.readouterr().out
    (warning,) = logged(output, "circuit breaker open: run stopped")
    assert warning["service"] == SERVICE
    metrics = emitted_metrics(output)
    assert metrics["CircuitOpenRuns"] == [1]
    assert metrics["PatchworkBreakerOpen"] == [1]
    assert metrics["SuccessfulRuns"] == [0]


def patch(n: int, submitter: str = "ada@x.org", state: str = "new") -> Patch:
    raw = patchwork_patch(
        n, "demo", f"p{n}", WHEN + timedelta(minutes=n), f"p{n}@x", ("A", submitter), state
    )
    made = to_patch(raw)
    assert isinstance(made, Patch)
    return made


def pages(read: Any, limit: int) -> list[list[dict[str, Any]]]:
    found: list[list[dict[str, Any]]] = []
    start: dict[str, Any] | None = None
    while True:
        page: Page = read(limit, start)
        found.append(page.items)
        if page.last_key is None:
            return found
        start = page.last_key


def discussion_repository(bucket: str) -> DiscussionRepository:
    return DiscussionRepository(
        table(names.DISCUSSIONS_TABLE.base_name),
        BodyStore(boto3.client("s3", region_name=REGION), bucket),
        inline_max_bytes=1000,
    )


def message(n: int, patch_id: str | None, author: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"m{n}@x",
        "timestamp": (WHEN + timedelta(minutes=n)).isoformat().replace("+00:00", "Z"),
        "thread_id": "m0@x",
        "thread_path": f"{n:04d}",
        "author_key": author,
        "sentiment": Decimal("0.1"),
        "body": "text",
    }
    if patch_id:
        record["patch_id"] = patch_id
    return record


def test_every_patch_index_pages_newest_first(patches_app: PatchesApp) -> None:
    repository = PatchRepository(table(names.PATCHES_TABLE.base_name))
    repository.put_new([patch(n, "ada@x.org" if n % 2 else "bob@x.org") for n in range(1, 8)])
    since, until = "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"

    by_state = pages(lambda limit, key: repository.by_state("new", since, until, limit, key), 2)
    by_submitter = pages(
        lambda limit, key: repository.by_submitter("ADA@x.org", since, until, limit, key), 3
    )

    assert [[p["id"] for p in page] for page in by_state] == [
        ["7", "6"],
        ["5", "4"],
        ["3", "2"],
        ["1"],
    ]
    assert [p["id"] for page in by_submitter for p in page] == ["7", "5", "3", "1"]


def test_every_discussion_index_pages_oldest_first(patches_app: PatchesApp) -> None:
    repository = discussion_repository(patches_app.variables["MESSAGE_BODIES_BUCKET"])
    repository.put_many(
        message(n, "101" if n % 2 else None, "ada@x.org" if n < 4 else "bob@x.org")
        for n in range(6)
    )

    thread = pages(lambda limit, key: repository.thread_page("m0@x", limit, key), 4)
    about_patch = pages(lambda limit, key: repository.by_patch("101", limit, key), 10)
    by_author = pages(lambda limit, key: repository.by_author("Bob@x.org", limit, key), 10)

    assert [[m["id"] for m in page] for page in thread] == [
        ["m0@x", "m1@x", "m2@x", "m3@x"],
        ["m4@x", "m5@x"],
    ]
    assert [m["id"] for page in about_patch for m in page] == ["m1@x", "m3@x", "m5@x"]
    assert [m["id"] for page in by_author for m in page] == ["m4@x", "m5@x"]
    assert set(repository.stored("m0@x")) == {f"m{n}@x" for n in range(6)}


def test_a_thread_links_all_its_patches_or_none(patches_app: PatchesApp) -> None:
    repository = PatchRepository(table(names.PATCHES_TABLE.base_name))
    repository.put_new([patch(1), patch(2)])
    summary = {"thread_id": "t@x", "messages": 3, "last_activity": "2026-11-20T10:05:00Z"}

    with pytest.raises(ItemNotFoundError):
        repository.link_thread(["1", "2", "99"], summary)  # 99 is not held: nothing changes
    assert "discussion" not in repository.get("1")

    repository.link_thread(["1", "2"], summary)
    assert repository.get("1")["discussion"] == repository.get("2")["discussion"]


def test_a_missing_patch_and_a_failing_table_are_typed_errors(patches_app: PatchesApp) -> None:
    repository = PatchRepository(table(names.PATCHES_TABLE.base_name))

    with pytest.raises(ItemNotFoundError):
        repository.get("404")
    with pytest.raises(ItemNotFoundError):
        repository.update(patch(404, state="accepted"))
    gone = PatchRepository(
        boto3.resource("dynamodb", region_name=REGION).Table("no-such-table-dev")
    )
    with pytest.raises(DatabaseError, match="reading stored patches failed"):
        gone.fingerprints(["1"])
