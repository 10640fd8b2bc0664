"""Names of the environment variables that the Pulumi program sets on each function.

Infra writes them, the apps read them, tests set them; nobody spells them twice.
"""

from __future__ import annotations

import os
from typing import Final

from shared.errors import ConfigurationError

STACK: Final = "FLEET_STACK"
LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"

COMPANY_DATA_TABLE: Final = "COMPANY_DATA_TABLE"
# JSON object mapping each channel to its queue URL: {"whatsapp": "https://sqs...", ...}
CHANNEL_QUEUE_URLS: Final = "CHANNEL_QUEUE_URLS"
CONFIG_CACHE_SECONDS: Final = "CONFIG_CACHE_SECONDS"

# Channel processors.
CONVERSATIONS_TABLE: Final = "CONVERSATIONS_TABLE"
QUEUE_URL: Final = "QUEUE_URL"  # the processor's own queue (for the heartbeat)
VISIBILITY_TIMEOUT_SECONDS: Final = "VISIBILITY_TIMEOUT_SECONDS"
HEARTBEAT_INTERVAL_SECONDS: Final = "HEARTBEAT_INTERVAL_SECONDS"
OPENAI_SECRET_NAME: Final = "OPENAI_SECRET_NAME"
SECRETS_CACHE_SECONDS: Final = "SECRETS_CACHE_SECONDS"
RETRY_BASE_SECONDS: Final = "RETRY_BASE_SECONDS"  # first backoff of the Twilio retries
# Points Twilio's SDK at a fake that speaks its API (tests, the local stack); unset in AWS.
TWILIO_API_BASE_URL: Final = "TWILIO_API_BASE_URL"
API_URL: Final = "API_URL"  # the app's own API (Twilio's status callback goes there)

# mentions.
MENTIONS_TABLE: Final = "MENTIONS_TABLE"
MENTIONS_RETENTION_DAYS: Final = "MENTIONS_RETENTION_DAYS"
INGESTER_STATE_TABLE: Final = "INGESTER_STATE_TABLE"
MENTIONMIND_SECRET_NAME: Final = "MENTIONMIND_SECRET_NAME"
# JSON list of the MentionMind project ids to ingest.
MENTIONMIND_PROJECT_IDS: Final = "MENTIONMIND_PROJECT_IDS"
# JSON object: firstRunLookbackHours, overlapMinutes, maxWindowHours, leaseSeconds.
INGESTION_WINDOW: Final = "INGESTION_WINDOW"
# Points the MentionMind client at a fake (tests, the local stack); unset in AWS.
MENTIONMIND_BASE_URL: Final = "MENTIONMIND_BASE_URL"


def require(name: str) -> str:
    """Read a variable the deployment must set.

    Raises:
        ConfigurationError: the variable is missing or empty, naming it, so a misdeployed
            function fails on its first request with a message an operator can act on.
    """
    value = os.environ.get(name, "")
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value
