"""patches' resource names, key schemas and metric names, written once: the Pulumi program
creates them, the app finds them through ``env``, the tests, the bench and the local profile
read them from here (seed 001's table and index names)."""

from __future__ import annotations

from typing import Final

from shared.schema import Index, TableSchema

# Seed 001 §1.2: PK ``id``; the three indexes take composite keys (``STATUS#NEW``,
# ``SUBMITTER#<email>``, ``SERIES#<id>``) with the patch date (UTC ISO 8601) as sort key, so
# each access pattern is one Query, newest first.
PATCHES_TABLE: Final = TableSchema(
    base_name="patches",
    hash_key="id",
    attributes={
        "id": "S",
        "submitter_key": "S",
        "series_key": "S",
        "status_key": "S",
        "date": "S",
    },
    global_indexes=(
        Index("SubmitterIndex", "submitter_key", "date"),
        Index("SeriesIndex", "series_key", "date"),
        Index("StatusIndex", "status_key", "date"),
    ),
)
SUBMITTER_INDEX: Final = PATCHES_TABLE.index("SubmitterIndex")
SERIES_INDEX: Final = PATCHES_TABLE.index("SeriesIndex")
STATUS_INDEX: Final = PATCHES_TABLE.index("StatusIndex")

# Seed 001 §1.2: PK ``id`` (the Message-ID), SK ``timestamp`` (its UTC date). ThreadIndex
# sorts by ``thread_path``, the message's place in the thread, so a thread reads back in
# depth-first order one page at a time.
DISCUSSIONS_TABLE: Final = TableSchema(
    base_name="discussions",
    hash_key="id",
    range_key="timestamp",
    attributes={
        "id": "S",
        "timestamp": "S",
        "patch_id": "S",
        "thread_id": "S",
        "thread_path": "S",
        "author_key": "S",
    },
    global_indexes=(
        Index("PatchIndex", "patch_id", "timestamp"),
        Index("ThreadIndex", "thread_id", "thread_path"),
        Index("AuthorIndex", "author_key", "timestamp"),
    ),
)
PATCH_INDEX: Final = DISCUSSIONS_TABLE.index("PatchIndex")
THREAD_INDEX: Final = DISCUSSIONS_TABLE.index("ThreadIndex")
AUTHOR_INDEX: Final = DISCUSSIONS_TABLE.index("AuthorIndex")

# Cursors (``cursor#<project>``) and circuit breakers (``breaker#<service>``), shared by every
# invocation.
PATCHES_STATE_TABLE: Final = TableSchema(
    base_name="patches-ingester-state", hash_key="state_key", attributes={"state_key": "S"}
)

# Message bodies too large for a DynamoDB item (the record keeps the object's key).
MESSAGE_BODIES_BUCKET: Final = "patches-message-bodies"

# The queues between the functions (seed 001 §1.3), by the names ``@app.on_sqs_message``
# uses and the base names of the queues.
THREAD_QUEUE: Final = "threads"
THREAD_QUEUE_NAME: Final = "patches-thread-refresh"
THREAD_DLQ_NAME: Final = "patches-thread-refresh-dlq"
SLICE_QUEUE: Final = "refresh-slices"
SLICE_QUEUE_NAME: Final = "patches-refresh-slices"
SLICE_DLQ_NAME: Final = "patches-refresh-slices-dlq"

PATCHES_ALERTS_TOPIC: Final = "patches-alerts"
PATCHES_API: Final = "patches"

# EMF metrics of every patches function: code, alarms and the dashboard name them from here.
PATCHES_METRICS_NAMESPACE: Final = "ServerlessFleet/Patches"
PATCHES_METRICS_SERVICE: Final = "patches-ingester"
# The outside services, as metric prefixes (``PatchworkApiLatency``) and breaker keys.
PATCHWORK: Final = "patchwork"
LORE: Final = "lore"
SERVICES: Final = (PATCHWORK, LORE)


def service_metric(service: str, metric: str) -> str:
    """``service_metric("lore", "ApiErrors") == "LoreApiErrors"``."""
    return f"{service.capitalize()}{metric}"


# Both services ask clients to say who they are.
USER_AGENT: Final = "serverless-fleet-patches/1.0 (Linux kernel patch tracker; python-requests)"
