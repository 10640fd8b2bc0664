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
COMMS_ALERTS_TOPIC: Final = "ai-comms-critical-alerts"


def physical(base: str, stack: str) -> str:
    """Name a resource for one stack: ``physical("company-data", "dev") == "company-data-dev"``."""
    return f"{base}-{stack}"


def channel_queue(channel: Channel) -> str:
    """Base name of a channel's work queue (seed 004: ``ai-multi-comms-whatsapp-queue``)."""
    return f"ai-multi-comms-{channel}-queue"


def channel_dlq(channel: Channel) -> str:
    """Base name of a channel's dead-letter queue."""
    return f"ai-multi-comms-{channel}-dlq"
