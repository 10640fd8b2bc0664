"""Names of the environment variables the Pulumi program sets on comms' functions.

Infra writes them, the app reads them, tests set them; nobody spells them twice. The
platform's own variables (stack, log level, API URL, secret cache) are in ``shared.env``.
"""

from __future__ import annotations

from typing import Final

COMPANY_DATA_TABLE: Final = "COMPANY_DATA_TABLE"
# JSON object mapping each channel to its queue URL: {"whatsapp": "https://sqs...", ...}
CHANNEL_QUEUE_URLS: Final = "CHANNEL_QUEUE_URLS"
CONFIG_CACHE_SECONDS: Final = "CONFIG_CACHE_SECONDS"

# Channel processors.
CONVERSATIONS_TABLE: Final = "CONVERSATIONS_TABLE"
QUEUE_URL: Final = "QUEUE_URL"  # the processor's own queue (for the heartbeat)
DLQ_URL: Final = "DLQ_URL"  # its dead-letter queue (where a poison message goes at once)
VISIBILITY_TIMEOUT_SECONDS: Final = "VISIBILITY_TIMEOUT_SECONDS"
HEARTBEAT_INTERVAL_SECONDS: Final = "HEARTBEAT_INTERVAL_SECONDS"
OPENAI_SECRET_NAME: Final = "OPENAI_SECRET_NAME"
RETRY_BASE_SECONDS: Final = "RETRY_BASE_SECONDS"  # first backoff of the Twilio retries
# The providers' request timeout, shortened by tests; unset in AWS, where each provider's
# module sets its own (messaging.TIMEOUT_SECONDS, mail.TIMEOUT_SECONDS).
PROVIDER_TIMEOUT_SECONDS: Final = "PROVIDER_TIMEOUT_SECONDS"
# Points the e-mail processor at a fake of SendGrid's API (tests, the local stack).
SENDGRID_API_BASE_URL: Final = "SENDGRID_API_BASE_URL"
# Points Twilio's SDK at a fake that speaks its API (tests, the local stack); unset in AWS.
TWILIO_API_BASE_URL: Final = "TWILIO_API_BASE_URL"
