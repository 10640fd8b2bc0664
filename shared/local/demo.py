"""Demo data for the local stack and the tests: one active project on every channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

DEMO_COMPANY_ID = "ci-aaa-001"
DEMO_PROJECT_ID = "pi-aaa-001"
# Secrets Manager names, by the seed's {credential_type}/{company}/{project}/{provider}.
_CREDENTIALS = "{kind}-credentials/cucumber-recruitment/clarify-cv/{provider}"


def demo_company_config() -> dict[str, Any]:
    """A company-data item as an operator would store it (secret *names*, never values)."""
    return {
        "company_id": DEMO_COMPANY_ID,
        "project_id": DEMO_PROJECT_ID,
        "company_name": "Cucumber Recruitment",
        "project_name": "Clarify CV",
        "company_rep": {"company_rep_1": "Carol", "company_rep_2": "Mark"},
        "project_status": "active",
        "allowed_channels": ["whatsapp", "sms", "email"],
        "channel_config": {
            "whatsapp": {
                "company_whatsapp_number": "+447588713814",
                "whatsapp_credentials_id": _CREDENTIALS.format(kind="whatsapp", provider="twilio"),
                # The approved WhatsApp template (Twilio Content API) the first message uses.
                "content_sid": "HX0123456789abcdef0123456789abcdef",
            },
            "sms": {
                "company_sms_number": "+447588713814",
                "sms_credentials_id": _CREDENTIALS.format(kind="sms", provider="twilio"),
            },
            "email": {
                "company_email": "jobs@cucumber-recruitment.example",
                "email_credentials_id": _CREDENTIALS.format(kind="email", provider="sendgrid"),
            },
        },
        "ai_config": {
            "openai_config": {
                "whatsapp": {"api_key_reference": "ai-api-key/global", "model": "gpt-4.1-mini"},
                "sms": {"api_key_reference": "ai-api-key/global", "model": "gpt-4.1-mini"},
                "email": {"api_key_reference": "ai-api-key/global", "model": "gpt-4.1-mini"},
            }
        },
        "rate_limits": {"requests_per_minute": 100, "daily_limit": 1000},
    }


DEMO_TWILIO_ACCOUNT_SID = "AC" + "0" * 30 + "01"


def demo_secrets(
    openai_secret_name: str,
    twilio_auth_token: str,
    openai_key: str,
    twilio_account_sid: str = DEMO_TWILIO_ACCOUNT_SID,
) -> dict[str, dict[str, str]]:
    """Secret values for the demo company, by Secrets Manager name (what operators store)."""
    config = demo_company_config()["channel_config"]
    twilio = {"twilio_account_sid": twilio_account_sid, "twilio_auth_token": twilio_auth_token}
    return {
        config["whatsapp"]["whatsapp_credentials_id"]: twilio,
        config["sms"]["sms_credentials_id"]: twilio,
        openai_secret_name: {"ai_api_key": openai_key},
    }


def demo_mentions(now: datetime, count: int = 12) -> list[dict[str, Any]]:
    """Mentions as MentionMind returns them, from the last few hours (inside the first run's
    window): several sources, HTML to clean, and one without a date (counted as invalid)."""
    sources = ("twitter", "news", "blogs")
    mentions: list[dict[str, Any]] = [
        {
            "id": f"demo-{n:03d}",
            "text": f"<p>Clarify CV made my CV <b>so much</b> better (#{n})</p>",
            "source": sources[n % len(sources)],
            "url": f"https://example.com/mentions/{n}",
            "author": f"user{n}",
            "date": (now - timedelta(minutes=20 * n + 5)).isoformat(),
            "status": "new",
            "sentiment": "positive",
        }
        for n in range(count)
    ]
    mentions.append({"id": "demo-undated", "text": "no date", "source": "news", "url": ""})
    return mentions
