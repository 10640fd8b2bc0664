"""Demo data for the local stack and the tests: one active project on every channel."""

from __future__ import annotations

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
    openai_secret_name: str, twilio_auth_token: str, openai_key: str
) -> dict[str, dict[str, str]]:
    """Secret values for the demo company, by Secrets Manager name (what operators store)."""
    config = demo_company_config()["channel_config"]
    twilio = {"twilio_account_sid": DEMO_TWILIO_ACCOUNT_SID, "twilio_auth_token": twilio_auth_token}
    return {
        config["whatsapp"]["whatsapp_credentials_id"]: twilio,
        config["sms"]["sms_credentials_id"]: twilio,
        openai_secret_name: {"ai_api_key": openai_key},
    }
