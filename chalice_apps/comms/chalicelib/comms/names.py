"""comms' resource names and key schemas, written once: the Pulumi program creates them, the
app finds them through ``env``, the tests and the local profile read them from here. The
bases are seed 004's names, so the dev stack carries exactly the names the seed lists
(``company-data-dev``)."""

from __future__ import annotations

from typing import Final, Literal

from shared.schema import Index, TableSchema

Channel = Literal["whatsapp", "sms", "email"]
CHANNELS: Final[tuple[Channel, ...]] = ("whatsapp", "sms", "email")

COMPANY_DATA_TABLE: Final = TableSchema(
    base_name="company-data",
    hash_key="company_id",
    range_key="project_id",
    attributes={"company_id": "S", "project_id": "S"},
)
CONVERSATIONS_TABLE: Final = TableSchema(
    base_name="conversations",
    hash_key="primary_channel",
    range_key="conversation_id",
    attributes={
        "primary_channel": "S",
        "conversation_id": "S",
        "company_id": "S",
        "project_id": "S",
        "created_at": "S",
        "task_complete": "N",
        "conversation_status": "S",
        "channel_method": "S",
    },
    global_indexes=(Index("company-id-project-id-index", "company_id", "project_id"),),
    local_indexes=(
        Index("created-at-index", "primary_channel", "created_at"),
        Index("task-complete-index", "primary_channel", "task_complete"),
        Index("conversation-status-index", "primary_channel", "conversation_status"),
        Index("channel-method-index", "primary_channel", "channel_method"),
    ),
)
COMMS_API: Final = "ai-multi-comms"
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
# SendGrid's Event Webhook posts here; it proves itself with its ECDSA signature.
SENDGRID_EVENTS_PATH: Final = "/sendgrid/events"


def channel_queue(channel: Channel) -> str:
    """Base name of a channel's work queue (seed 004: ``ai-multi-comms-whatsapp-queue``)."""
    return f"ai-multi-comms-{channel}-queue"


def channel_dlq(channel: Channel) -> str:
    """Base name of a channel's dead-letter queue."""
    return f"ai-multi-comms-{channel}-dlq"
