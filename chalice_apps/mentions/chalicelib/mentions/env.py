"""Names of the environment variables the Pulumi program sets on mentions' functions.

Infra writes them, the app reads them, tests set them; nobody spells them twice. The
platform's own variables are in ``shared.env``.
"""

from __future__ import annotations

from typing import Final

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
