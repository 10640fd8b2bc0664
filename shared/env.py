"""Names of the environment variables the platform sets on every function; each system's own
are in its ``chalicelib/<system>/env.py``.

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
# The app's own API, for functions that hand out a callback URL (Twilio's status callback).
API_URL: Final = "API_URL"
# How long a warm function keeps a secret before reading it again.
SECRETS_CACHE_SECONDS: Final = "SECRETS_CACHE_SECONDS"


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
