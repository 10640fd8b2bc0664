"""Backfill: copy a project's mentions over a past date range, chunk by chunk, resumable.

Progress is kept like the scheduled run's, in the ingester's state table under
``backfill#<project>#<start>#<end>``: after each chunk is stored its end becomes the cursor,
so running the same command again continues after the last finished chunk. A lease (renewed
every chunk) keeps two copies of the same backfill from running at once.

Chunks are written with the repository's batch writer (25 items per call, unprocessed
items re-sent); a mention that is already stored is overwritten with the same content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from chalicelib.mentions.client import MentionMindClient
from chalicelib.mentions.exceptions import BackfillBusyError
from chalicelib.mentions.ingestion import Tally, valid_mentions
from chalicelib.mentions.repository import MentionRepository
from chalicelib.mentions.state import IngesterState
from shared.scheduled_run import SKIPPED, Lease, run_under_lease
from shared.timestamps import utc_iso

# Long enough for one chunk of a busy project at the API's 100 calls a minute.
LEASE_SECONDS = 900


@dataclass(frozen=True)
class Chunk:
    start: datetime
    end: datetime


def chunks(start: datetime, end: datetime, hours: int) -> list[Chunk]:
    """``[start, end)`` cut into ``hours``-long pieces (the last one shorter)."""
    if end <= start:
        raise ValueError(f"the range is empty: {start.isoformat()} to {end.isoformat()}")
    step = timedelta(hours=hours)
    pieces: list[Chunk] = []
    while start < end:
        pieces.append(Chunk(start, min(start + step, end)))
        start += step
    return pieces


def backfill_key(project_id: str, start: datetime, end: datetime) -> str:
    return f"backfill#{project_id}#{utc_iso(start.isoformat())}#{utc_iso(end.isoformat())}"


@dataclass
class BackfillPlan:
    key: str
    chunks: list[Chunk]
    # How many chunks an earlier run of the same backfill finished.
    done: int


def run_backfill(
    project_id: str,
    plan: BackfillPlan,
    client: MentionMindClient,
    repository: MentionRepository,
    state: IngesterState,
    owner: str,
    log: Logger,
    on_chunk: Callable[[Chunk, Tally], None],
) -> Tally:
    """Store the chunks not yet done, moving the cursor after each; ``on_chunk`` reports
    progress.

    Raises:
        BackfillBusyError: another copy of this backfill holds the lease.
        MentionMindError, TransientError, LeaseLostError: the run stopped; finished chunks
            stay done, and running it again resumes after them.
    """

    def backfill(lease: Lease) -> Tally:
        total = Tally()
        for chunk in plan.chunks[plan.done :]:
            tally = Tally()
            raw = client.mentions(project_id, chunk.start, chunk.end)
            tally.stored = repository.put_many(valid_mentions(raw, tally, log))
            lease = state.advance(lease, utc_iso(chunk.end.isoformat()), tally.as_dict())
            state.renew(lease, LEASE_SECONDS)
            total.add(tally)
            on_chunk(chunk, tally)
        return total

    done = run_under_lease(state, plan.key, owner, LEASE_SECONDS, backfill)
    if done == SKIPPED:
        raise BackfillBusyError(
            f"another backfill of this range is running (or stopped under {LEASE_SECONDS}s ago)"
        )
    return done


def plan_backfill(
    project_id: str, start: datetime, end: datetime, hours: int, state: IngesterState
) -> BackfillPlan:
    """The chunks of the range, and how many an earlier run already finished."""
    key = backfill_key(project_id, start, end)
    pieces = chunks(start, end, hours)
    stored = state.get(key) or {}
    cursor = stored.get("cursor")
    done = sum(1 for c in pieces if cursor and utc_iso(c.end.isoformat()) <= str(cursor))
    return BackfillPlan(key, pieces, done)
