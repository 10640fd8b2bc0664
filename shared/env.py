"""Names of the environment variables the platform sets on every function; each system's own
are in its ``chalicelib/<system>/env.py``.

Infra writes them, the apps read them (through their settings models, ``shared.settings``),
tests set them; nobody spells them twice.
"""

from __future__ import annotations

from typing import Final

STACK: Final = "FLEET_STACK"
LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
# The app's own API, for functions that hand out a callback URL (Twilio's status callback).
API_URL: Final = "API_URL"
# How long a warm function keeps a secret before reading it again.
SECRETS_CACHE_SECONDS: Final = "SECRETS_CACHE_SECONDS"
