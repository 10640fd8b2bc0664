"""The configuration page (seed 002 §10.3): one HTML file with its CSS and script, served by
the app with no build step, and the public settings it signs in with (the pool's app client
and the endpoint that answers Cognito: AWS's, or the local stack's)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PAGE = Path(__file__).with_name("page.html")
CONTENT_TYPE = "text/html; charset=utf-8"


@cache
def html() -> str:
    return PAGE.read_text(encoding="utf-8")


def sign_in(client_id: str) -> dict[str, str]:
    """What the page signs in with, through the app client ``client_id``; nothing here is
    secret (an app client id is public). The endpoint and region are AWS's own variables."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://cognito-idp.{region}.amazonaws.com"
    return {
        "client_id": client_id,
        "cognito_endpoint": endpoint,
        "region": region,
    }
