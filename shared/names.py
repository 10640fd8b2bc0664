"""The one place where resource names are written.

Infra builds physical names from these bases; the apps receive the physical names through the
environment variables in ``shared.env``; tests read both from here. The bases are the seeds'
names, so the dev stack carries exactly the names the seeds list (``company-data-dev``).
"""

from __future__ import annotations

from typing import Final, Literal

PROJECT: Final = "serverless-fleet"

Channel = Literal["whatsapp", "sms", "email"]
CHANNELS: Final[tuple[Channel, ...]] = ("whatsapp", "sms", "email")

COMPANY_DATA_TABLE: Final = "company-data"
CONVERSATIONS_TABLE: Final = "conversations"
COMMS_API: Final = "ai-multi-comms"
MENTIONS_TABLE: Final = "mentions"
# The mentions table's TTL attribute: epoch seconds after which DynamoDB deletes the item.
MENTIONS_TTL_ATTRIBUTE: Final = "expires_at"
# Where the ingester keeps each project's cursor and lease, and each backfill's progress.
MENTIONS_INGESTER_STATE_TABLE: Final = "mentions-ingester-state"
# MentionMind account credentials: {"api_key": "..."} (set by operators, never by Pulumi).
MENTIONMIND_SECRET: Final = "mentionmind/api-key"
MENTIONS_ALERTS_TOPIC: Final = "mentions-alerts"
MENTIONS_API: Final = "mentions"
# The ingester's EMF metrics: code and alarms name them from here.
MENTIONS_METRICS_NAMESPACE: Final = "ServerlessFleet/Mentions"
MENTIONS_INGESTER_SERVICE: Final = "mentions-ingester"
COMMS_ALERTS_TOPIC: Final = "ai-comms-critical-alerts"
# Seed 004 names it ai-api-key/global; the stack suffix keeps dev and prod apart.
OPENAI_SECRET: Final = "ai-api-key/global"
# Where the processors' final-write-failed metric lives (seed 004, step 18).
COMMS_METRICS_NAMESPACE: Final = "ServerlessFleet/Comms"
# Logged, exactly so, when a message went out but its conversation record was not updated;
# the CloudWatch metric filter matches it (tests check the two agree).
FINAL_UPDATE_FAILED_MARKER: Final = "CRITICAL_FINAL_DB_UPDATE_FAILED"
# Twilio posts delivery status here; it proves itself with X-Twilio-Signature, not an API key.
TWILIO_STATUS_PATH: Final = "/twilio/status"


def physical(base: str, stack: str) -> str:
    """Name a resource for one stack: ``physical("company-data", "dev") == "company-data-dev"``."""
    return f"{base}-{stack}"


def channel_queue(channel: Channel) -> str:
    """Base name of a channel's work queue (seed 004: ``ai-multi-comms-whatsapp-queue``)."""
    return f"ai-multi-comms-{channel}-queue"


def channel_dlq(channel: Channel) -> str:
    """Base name of a channel's dead-letter queue."""
    return f"ai-multi-comms-{channel}-dlq"
