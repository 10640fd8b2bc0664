"""The thread worker: for each queued ``ThreadRequest``, the thread from lore, parsed, linked
and stored.

Each message becomes a discussion record linked to its thread (``thread_id``, the root's
Message-ID, and ``thread_path``, its depth-first place) and to a patch: its own if it is a
patch of the request, else the nearest ancestor's that is (replies to replies included).
Only records that are new, or whose place or patch changed, are written; then every patch
of the request gets the thread's summary in one transaction.

A message that cannot be parsed is skipped, counted and logged with its reason. A thread
lore does not hold (yet) is counted and left for the next refresh. Anything else that fails
fails the request, which SQS delivers again (the DLQ after ``maxReceiveCount``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.patches.discussion_repository import DiscussionRepository
from chalicelib.patches.exceptions import ThreadNotFoundError
from chalicelib.patches.lore import LoreClient
from chalicelib.patches.patch_repository import PatchRepository
from chalicelib.patches.threads import Thread, build_thread, excerpt, parse_mbox, sentiment
from chalicelib.patches.work import ThreadRequest

# Keep the newest references only: the parent is found from the last ones anyway.
MAX_REFERENCES = 50


@dataclass
class ThreadTally:
    threads: int = 0
    messages: int = 0
    stored: int = 0
    malformed: int = 0
    not_found: int = 0

    def record(self, metrics: Metrics) -> None:
        for metric, value in (
            ("ThreadsStored", self.threads),
            ("MessagesStored", self.stored),
            ("MessagesMalformed", self.malformed),
            ("ThreadsNotFound", self.not_found),
        ):
            metrics.add_metric(metric, MetricUnit.Count, value)


@dataclass
class ThreadDeps:
    lore: LoreClient
    discussions: DiscussionRepository
    patches: PatchRepository
    log: Logger


def discussion_records(
    thread: Thread, project: str, patch_by_msgid: dict[str, str]
) -> list[dict[str, Any]]:
    """The thread's records, in thread order."""
    patch_of: dict[str, str | None] = {}
    records = []
    for placed in thread.messages:
        message = placed.message
        patch_id = patch_by_msgid.get(message.message_id) or (
            patch_of.get(placed.parent) if placed.parent else None
        )
        patch_of[message.message_id] = patch_id
        text = excerpt(message.body)
        record: dict[str, Any] = {
            "id": message.message_id,
            "timestamp": message.timestamp,
            "project": project,
            "thread_id": thread.thread_id,
            "thread_path": placed.path,
            "depth": placed.depth,
            "references": list(message.references[-MAX_REFERENCES:]),
            "author": {"name": message.author_name, "email": message.author_email},
            "author_key": message.author_email,
            "subject": message.subject,
            "excerpt": text,
            "sentiment": Decimal(str(sentiment(text))),
            "body": message.body,
        }
        if message.in_reply_to:
            record["in_reply_to"] = message.in_reply_to
        if patch_id:
            record["patch_id"] = patch_id
        records.append(record)
    return records


def _differs(stored: dict[str, Any] | None, record: dict[str, Any]) -> bool:
    return stored is None or any(
        stored.get(field) != record.get(field) for field in ("timestamp", "thread_path", "patch_id")
    )


def refresh_thread(request: ThreadRequest, deps: ThreadDeps, tally: ThreadTally) -> None:
    """Fetch, parse, link and store one thread.

    Raises:
        CircuitOpenError, ServiceError, TransientError, ItemNotFoundError: the request is
            failed and delivered again.
    """
    context = {"project": request.project, "msgid": request.msgid}
    try:
        mbox = deps.lore.thread_mbox(request.msgid)
    except ThreadNotFoundError:
        tally.not_found += 1
        deps.log.info("thread not on lore yet; left for the next refresh", extra=context)
        return
    messages, malformed = parse_mbox(mbox)
    tally.malformed += len(malformed)
    for bad in malformed:
        deps.log.warning(
            "malformed message skipped",
            extra={**context, "message_id": bad.message_id, "reason": bad.reason},
        )
    if not messages:
        deps.log.warning("thread has no usable message", extra=context)
        return
    thread = build_thread(messages)
    records = discussion_records(thread, request.project, {p.msgid: p.id for p in request.patches})
    stored = deps.discussions.stored(thread.thread_id)
    changed = [r for r in records if _differs(stored.get(r["id"]), r)]
    deps.discussions.put_many(changed)
    deps.patches.link_thread(
        [p.id for p in request.patches],
        {
            "thread_id": thread.thread_id,
            "messages": len(records),
            "last_activity": thread.last_activity,
        },
    )
    tally.threads += 1
    tally.messages += len(records)
    tally.stored += len(changed)
    deps.log.info(
        "thread stored",
        extra={
            **context,
            "thread_id": thread.thread_id,
            "messages": len(records),
            "written": len(changed),
            "malformed": len(malformed),
        },
    )
