"""mentions' resource names and key schemas, written once: the Pulumi program creates them,
the app finds them through ``env``, the tests, operator commands and the local profile read
them from here (seed 000's names)."""

from __future__ import annotations

from typing import Final

from shared.schema import Index, TableSchema

# Epoch seconds after which DynamoDB deletes a mention: stored time + mentions.retentionDays.
MENTIONS_TTL_ATTRIBUTE: Final = "expires_at"
MENTIONS_TABLE: Final = TableSchema(
    base_name="mentions",
    hash_key="mention_id",
    range_key="timestamp",
    attributes={"mention_id": "S", "timestamp": "S", "source": "S"},
    global_indexes=(Index("source-timestamp-index", "source", "timestamp"),),
    ttl_attribute=MENTIONS_TTL_ATTRIBUTE,
)
# A source's mentions in time order (GET /mentions, cleanup).
SOURCE_INDEX: Final = MENTIONS_TABLE.global_indexes[0]
# Where the ingester keeps each project's cursor and lease, and each backfill's progress.
MENTIONS_INGESTER_STATE_TABLE: Final = TableSchema(
    base_name="mentions-ingester-state", hash_key="state_key", attributes={"state_key": "S"}
)
# MentionMind account credentials: {"api_key": "..."} (set by operators, never by Pulumi).
MENTIONMIND_SECRET: Final = "mentionmind/api-key"
MENTIONS_ALERTS_TOPIC: Final = "mentions-alerts"
MENTIONS_API: Final = "mentions"
# The ingester's EMF metrics: code and alarms name them from here.
MENTIONS_METRICS_NAMESPACE: Final = "ServerlessFleet/Mentions"
MENTIONS_INGESTER_SERVICE: Final = "mentions-ingester"
