"""The patch fetchers: the hourly run (each project from its cursor), the daily refresh
(fanned out in one-day slices, each re-read by a worker) and the weekly discussion refresh.

Why a patch is written once, and only when it changed:
- each chunk of fetched patches is first looked up (BatchGetItem of ids and fingerprints):
  a patch not held is new (batch-written), one whose fingerprint differs changed upstream
  (updated in place, index keys included), the rest cost nothing more;
- a patch repeated within a run (pages shifting under a date order) is taken once;
- the hourly cursor is the newest patch date stored and moves only after the whole run is
  stored, so a run that fails half-way is re-read from the same point by the next one.

Each new or changed patch's thread is queued for the thread worker after the patch is
written (one request per series). Should queueing fail after the write, the run fails (and
is retried), and the weekly discussion refresh queues the threads of every open patch again.

A run that finds Patchwork's breaker open stops cleanly: the project is ``circuit_open`` in
the summary, a warning is logged, ``CircuitOpenRuns`` and ``PatchworkBreakerOpen`` say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.patches.breaker import CircuitBreaker
from chalicelib.patches.config import IngesterConfig
from chalicelib.patches.exceptions import (
    CircuitOpenError,
    RefreshFailedError,
    ServiceError,
)
from chalicelib.patches.observe import record_breakers
from chalicelib.patches.patch_repository import PatchRepository
from chalicelib.patches.patchwork import PatchworkClient
from chalicelib.patches.records import InvalidPatch, Patch, to_patch
from chalicelib.patches.state import Cursors
from chalicelib.patches.work import SliceRequest, WorkQueue, day_slices, thread_requests
from shared.errors import TransientError
from shared.timestamps import utc_iso

# Patches looked up and written together (BatchGetItem takes 100 keys).
CHUNK = 100


@dataclass
class Tally:
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    threads_queued: int = 0

    def add(self, other: Tally) -> None:
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return {
            "fetched": self.fetched,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "threads_queued": self.threads_queued,
        }


@dataclass
class FetchDeps:
    patchwork: PatchworkClient
    patches: PatchRepository
    cursors: Cursors
    threads: WorkQueue
    breaker: CircuitBreaker
    config: IngesterConfig
    log: Logger


def _valid(raw_patches: Iterable[dict[str, Any]], tally: Tally, log: Logger) -> Iterator[Patch]:
    """The patches fit to store, each once; invalid ones counted and logged with the reason."""
    seen: set[str] = set()
    for raw in raw_patches:
        tally.fetched += 1
        patch = to_patch(raw)
        if isinstance(patch, InvalidPatch):
            tally.invalid += 1
            log.warning(
                "invalid patch skipped", extra={"patch_id": patch.patch_id, "reason": patch.reason}
            )
        elif patch.id not in seen:
            seen.add(patch.id)
            yield patch


def _chunks(patches: Iterator[Patch], size: int) -> Iterator[list[Patch]]:
    chunk: list[Patch] = []
    for patch in patches:
        chunk.append(patch)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def store_patches(
    raw_patches: Iterable[dict[str, Any]], deps: FetchDeps, tally: Tally
) -> str | None:
    """Store what is new or changed of ``raw_patches`` and queue its threads; returns the
    newest patch date seen (None when there was no valid patch).

    Raises:
        CircuitOpenError, ServiceError, TransientError: what was stored stays stored.
    """
    newest: str | None = None
    for chunk in _chunks(_valid(raw_patches, tally, deps.log), CHUNK):
        held = deps.patches.fingerprints(p.id for p in chunk)
        new = [p for p in chunk if p.id not in held]
        changed = [p for p in chunk if p.id in held and held[p.id] != p.fingerprint()]
        if new:
            deps.patches.put_new(new)
        for patch in changed:
            deps.patches.update(patch)
            deps.log.info(
                "patch changed upstream", extra={"patch_id": patch.id, "state": patch.state}
            )
        if new or changed:
            tally.threads_queued += deps.threads.send(thread_requests([*new, *changed]))
        tally.new += len(new)
        tally.updated += len(changed)
        tally.unchanged += len(chunk) - len(new) - len(changed)
        latest = max(p.date for p in chunk)
        newest = latest if newest is None or latest > newest else newest
    return newest


ProjectStatus = Literal["fetched", "circuit_open", "failed"]


@dataclass
class ProjectOutcome:
    project: str
    status: ProjectStatus
    tally: Tally = field(default_factory=Tally)
    since: str | None = None


def fetch_project(project: str, deps: FetchDeps, now: datetime) -> ProjectOutcome:
    """One project from its cursor (less the overlap), or the first run's lookback.

    Raises:
        CircuitOpenError, ServiceError, TransientError: the cursor did not move.
    """
    cursor = deps.cursors.get(project)
    if cursor is None:
        since = now - timedelta(hours=deps.config.first_run_lookback_hours)
    else:
        since = datetime.fromisoformat(cursor) - timedelta(minutes=deps.config.overlap_minutes)
    tally = Tally()
    newest = store_patches(deps.patchwork.patches(project, since=since), deps, tally)
    if newest is not None and (cursor is None or newest > cursor):
        deps.cursors.advance(project, newest, tally.as_dict())
    return ProjectOutcome(project, "fetched", tally, utc_iso(since.isoformat()))


def record_tally(metrics: Metrics, tally: Tally) -> None:
    for metric, value in (
        ("PatchesFetched", tally.fetched),
        ("PatchesNew", tally.new),
        ("PatchesUpdated", tally.updated),
        ("PatchesUnchanged", tally.unchanged),
        ("PatchesInvalid", tally.invalid),
        ("ThreadsQueued", tally.threads_queued),
    ):
        metrics.add_metric(metric, MetricUnit.Count, value)


def fetch_recent(
    projects: list[str], deps: FetchDeps, now: datetime, metrics: Metrics
) -> dict[str, Any]:
    """The hourly run: every project (one failing does not stop the others); its metrics
    and summary.

    Raises:
        RefreshFailedError: after all projects were tried, when any failed (an open breaker
            is not a failure: the run stopped as it should).
    """
    outcomes: list[ProjectOutcome] = []
    for project in projects:
        try:
            outcome = fetch_project(project, deps, now)
        except CircuitOpenError as err:
            deps.log.warning(
                "circuit breaker open: run stopped",
                extra={
                    "project": project,
                    "service": err.service,
                    "retry_after": err.retry_after_seconds,
                },
            )
            outcome = ProjectOutcome(project, "circuit_open")
        except (ServiceError, TransientError):
            deps.log.exception("project not fetched", extra={"project": project})
            outcome = ProjectOutcome(project, "failed")
        outcomes.append(outcome)
        deps.log.info(
            "project done",
            extra={
                "project": project,
                "status": outcome.status,
                "since": outcome.since,
                **outcome.tally.as_dict(),
            },
        )
    total = Tally()
    for outcome in outcomes:
        total.add(outcome.tally)
    failed = [o.project for o in outcomes if o.status == "failed"]
    stopped = [o.project for o in outcomes if o.status == "circuit_open"]
    record_tally(metrics, total)
    record_breakers(metrics, [deps.breaker])
    metrics.add_metric("FailedProjects", MetricUnit.Count, len(failed))
    metrics.add_metric("CircuitOpenRuns", MetricUnit.Count, 1 if stopped else 0)
    metrics.add_metric("SuccessfulRuns", MetricUnit.Count, 0 if failed or stopped else 1)
    if failed:
        raise RefreshFailedError(f"projects not fetched: {failed} (see the log)")
    return {"projects": {o.project: o.status for o in outcomes}, **total.as_dict()}


def refresh_slice(request: SliceRequest, deps: FetchDeps) -> Tally:
    """Re-read one slice of the daily refresh: state changes become updates, patches missed
    by the hourly runs become new ones. The cursor is the hourly run's and is not touched.

    Raises:
        CircuitOpenError, ServiceError, TransientError: the slice is retried (SQS).
    """
    tally = Tally()
    store_patches(
        deps.patchwork.patches(request.project, since=request.since, before=request.before),
        deps,
        tally,
    )
    return tally


def plan_refresh(
    projects: list[str], days: int, now: datetime, slices: WorkQueue, metrics: Metrics
) -> dict[str, Any]:
    """The daily refresh: queue the last ``days`` of every project as one-day slices, so the
    work is spread over invocations of the slice worker and none outgrows its timeout."""
    requests = [
        request
        for project in projects
        for request in day_slices(project, now - timedelta(days=days), now)
    ]
    slices.send(requests)
    metrics.add_metric("SlicesQueued", MetricUnit.Count, len(requests))
    return {"projects": projects, "days": days, "slices": len(requests)}


def refresh_discussions(
    states: Iterable[str],
    days: int,
    now: datetime,
    patches: PatchRepository,
    threads: WorkQueue,
    metrics: Metrics,
    page_size: int = 100,
) -> dict[str, Any]:
    """The weekly discussion refresh: queue the thread of every patch still under review
    (``states``) dated in the last ``days``, one request per thread."""
    since = utc_iso((now - timedelta(days=days)).isoformat())
    until = utc_iso(now.isoformat())
    found: list[Patch] = []
    for state in states:
        start_key: dict[str, Any] | None = None
        while True:
            page = patches.by_state(state, since, until, page_size, start_key)
            found.extend(Patch.model_validate(item) for item in page.items)
            if page.last_key is None:
                break
            start_key = page.last_key
    requests = thread_requests(found)
    threads.send(requests)
    metrics.add_metric("ThreadsQueued", MetricUnit.Count, len(requests))
    return {"patches": len(found), "threads_queued": len(requests)}
