"""The page (seed: chat interface): one HTML file with its CSS and script, served by the app
with no build step, and the public configuration it needs to sign in (the pool's app
client, given by the API's settings, and the endpoint that answers Cognito: AWS's, or the
local stack's, read from AWS's own variables)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PAGE = Path(__file__).with_name("page.html")


@cache
def html() -> str:
    return PAGE.read_text(encoding="utf-8")


def config(client_id: str) -> dict[str, str]:
    """What the page signs in with; nothing here is secret (an app client id is public)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"https://cognito-idp.{region}.amazonaws.com"
    return {
        "client_id": client_id,
        "cognito_endpoint": endpoint,
        "region": region,
    }
