"""One scheduled run: for each MentionMind project, fetch the mentions collected since the
last successful run, store the new ones, then move the project's cursor.

Why it cannot lose or double mentions:
- the cursor moves only after every mention of the window is stored, so a run that fails
  half-way leaves it where it was and the next run fetches the same window again;
- storing is a conditional put, so what the earlier attempt stored (or what repeats across
  pages and overlapping windows) is written once and counted as a duplicate;
- each window starts ``overlap`` before the cursor, for mentions the service files late;
- a project is worked on under a lease, so two overlapping runs (a slow one and the next
  schedule, or an asynchronous retry) never fetch and write the same project at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from chalicelib.mentions.client import ApiCall, MentionMindClient
from chalicelib.mentions.exceptions import IngestionFailedError, LeaseLostError, MentionMindError
from chalicelib.mentions.processing import InvalidMention, Mention, to_mention
from chalicelib.mentions.repository import MentionRepository
from chalicelib.mentions.state import IngesterState, cursor
from shared.errors import TransientError
from shared.scheduled_run import SKIPPED, Lease, run_under_lease
from shared.timestamps import utc_iso


class WindowSettings(BaseModel):
    """How far each run reaches (the stack's ``mentions`` settings, plus the lease the
    program derives from the function's timeout)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    first_run_lookback_hours: int = Field(ge=1)
    overlap_minutes: int = Field(ge=0)
    max_window_hours: int = Field(ge=1)
    lease_seconds: int = Field(ge=60)


def ingestion_window(
    cursor: str | None, now: datetime, window: WindowSettings
) -> tuple[datetime, datetime]:
    """``[start, end]`` of the next run: from the cursor (less the overlap) or, on the first
    run, from ``first_run_lookback_hours`` ago; at most ``max_window_hours`` past the cursor,
    so a project that fell far behind catches up over several runs instead of one that
    outgrows the function's timeout."""
    if cursor is None:
        base = now - timedelta(hours=window.first_run_lookback_hours)
        start = base
    else:
        base = datetime.fromisoformat(cursor)
        start = base - timedelta(minutes=window.overlap_minutes)
    return start, min(now, base + timedelta(hours=window.max_window_hours))


@dataclass
class Tally:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    invalid: int = 0

    def add(self, other: Tally) -> None:
        self.fetched += other.fetched
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.invalid += other.invalid

    def as_dict(self) -> dict[str, int]:
        return {
            "fetched": self.fetched,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
        }


def valid_mentions(
    raw_mentions: Iterable[dict[str, Any]], tally: Tally, log: Logger
) -> Iterator[Mention]:
    """The mentions fit to store; each fetched one is counted, each invalid one counted and
    logged with the reason."""
    for raw in raw_mentions:
        tally.fetched += 1
        mention = to_mention(raw)
        if isinstance(mention, InvalidMention):
            tally.invalid += 1
            log.warning(
                "invalid mention skipped",
                extra={"mention_id": mention.mention_id, "reason": mention.reason},
            )
        else:
            yield mention


def store_mentions(
    raw_mentions: Iterable[dict[str, Any]], repository: MentionRepository, log: Logger
) -> Tally:
    """Validate and store each mention, once (a conditional put).

    Raises:
        MentionMindError, TransientError: from fetching or storing; what was stored stays.
    """
    tally = Tally()
    for mention in valid_mentions(raw_mentions, tally, log):
        if repository.put(mention):
            tally.stored += 1
        else:
            tally.duplicates += 1
    return tally


ProjectStatus = Literal["ingested", "busy", "failed"]


@dataclass
class ProjectOutcome:
    project_id: str
    status: ProjectStatus
    tally: Tally = field(default_factory=Tally)
    window: tuple[str, str] | None = None
    error: str | None = None


@dataclass
class IngestionDeps:
    client: MentionMindClient
    repository: MentionRepository
    state: IngesterState
    window: WindowSettings
    log: Logger


def ingest_project(
    project_id: str, deps: IngestionDeps, owner: str, now: datetime
) -> ProjectOutcome:
    """Ingest one project's next window under its lease.

    Raises:
        MentionMindError, TransientError, LeaseLostError: the window was not completed; the
            cursor did not move.
    """

    def ingest(lease: Lease) -> ProjectOutcome:
        start, end = ingestion_window(cursor(lease), now, deps.window)
        tally = store_mentions(
            deps.client.mentions(project_id, start, end), deps.repository, deps.log
        )
        done = utc_iso(end.isoformat())
        deps.state.advance(lease, done, tally.as_dict())
        return ProjectOutcome(project_id, "ingested", tally, (utc_iso(start.isoformat()), done))

    def not_released(err: TransientError) -> None:
        deps.log.warning("lease not released; it expires", extra={"project_id": project_id})

    key = f"ingest#{project_id}"
    outcome = run_under_lease(
        deps.state, key, owner, deps.window.lease_seconds, ingest, not_released
    )
    if outcome == SKIPPED:
        deps.log.info("another run holds the lease; skipped", extra={"project_id": project_id})
        return ProjectOutcome(project_id, "busy")
    return outcome


def observe_api_calls(metrics: Metrics) -> Callable[[ApiCall], None]:
    """The client's ``observe`` callback: API latency, calls and errors as EMF metrics."""

    def observe(call: ApiCall) -> None:
        metrics.add_metric("ApiCalls", MetricUnit.Count, 1)
        metrics.add_metric("ApiLatency", MetricUnit.Milliseconds, round(call.seconds * 1000, 1))
        metrics.add_metric("ApiErrors", MetricUnit.Count, 1 if call.failed else 0)

    return observe


def run_ingestion(
    project_ids: list[str], deps: IngestionDeps, owner: str, now: datetime, metrics: Metrics
) -> dict[str, Any]:
    """Ingest every project (one failing does not stop the others), record the run's metrics
    and return its summary.

    Raises:
        IngestionFailedError: after all projects were tried, when any of them failed.
    """
    outcomes: list[ProjectOutcome] = []
    for project_id in project_ids:
        try:
            outcome = ingest_project(project_id, deps, owner, now)
        except (MentionMindError, TransientError, LeaseLostError) as err:
            deps.log.exception("project not ingested", extra={"project_id": project_id})
            outcome = ProjectOutcome(project_id, "failed", error=f"{type(err).__name__}: {err}")
        outcomes.append(outcome)
        deps.log.info(
            "project done",
            extra={
                "project_id": project_id,
                "status": outcome.status,
                "window": outcome.window,
                **outcome.tally.as_dict(),
            },
        )
    total = Tally()
    for outcome in outcomes:
        total.add(outcome.tally)
    failed = [o.project_id for o in outcomes if o.status == "failed"]
    metrics.add_metric("MentionsFetched", MetricUnit.Count, total.fetched)
    metrics.add_metric("MentionsStored", MetricUnit.Count, total.stored)
    metrics.add_metric("MentionsDuplicate", MetricUnit.Count, total.duplicates)
    metrics.add_metric("MentionsInvalid", MetricUnit.Count, total.invalid)
    metrics.add_metric("FailedProjects", MetricUnit.Count, len(failed))
    metrics.add_metric("SuccessfulRuns", MetricUnit.Count, 0 if failed else 1)
    if failed:
        raise IngestionFailedError(f"projects not ingested: {failed} (see the log)")
    return {
        "projects": {o.project_id: o.status for o in outcomes},
        **total.as_dict(),
    }
