"""comms on the local stack: fakes of OpenAI, Twilio and SendGrid, and one demo company
active on every channel, with its secrets (the credentials the fakes accept, or the real ones
given: then the company sends from the real account's number and WhatsApp template)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any
from urllib.parse import urlencode

import boto3
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.comms import names
from chalicelib.comms.env import SENDGRID_API_BASE_URL, TWILIO_API_BASE_URL
from devstack.fakes.openai import FakeOpenAI
from devstack.fakes.sendgrid import FakeSendGrid, public_key_of
from devstack.fakes.twilio import FakeTwilio
from devstack.profiles import Fake, Profile, ReadyContext, SeedContext
from shared.names import physical

DEMO_COMPANY_ID = "ci-aaa-001"
DEMO_PROJECT_ID = "pi-aaa-001"
DEMO_TWILIO_ACCOUNT_SID = "AC" + "0" * 30 + "01"
# What the fakes accept; the demo secrets hold them.
LOCAL_TWILIO_TOKEN = "local-twilio-auth-token"
LOCAL_OPENAI_KEY = "sk-local-fake"
LOCAL_SENDGRID_KEY = "SG.local-sendgrid-key"
# Secrets Manager names, by the seed's {credential_type}/{company}/{project}/{provider}.
_CREDENTIALS = "{kind}-credentials/cucumber-recruitment/clarify-cv/{provider}"


@cache
def demo_webhook_key() -> ec.EllipticCurvePrivateKey:
    """The key the SendGrid fake signs its Event Webhook posts with: the same on every run
    (derived from a fixed phrase), so the demo company's config can hold its public half.
    It signs for the fake only; a real account's key is SendGrid's."""
    scalar = int.from_bytes(hashlib.sha256(b"serverless-fleet demo sendgrid webhook").digest())
    return ec.derive_private_key(scalar, ec.SECP256R1())


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
                "sender_name": "Carol at Cucumber Recruitment",
                "reply_to_email": "carol@cucumber-recruitment.example",
                # SendGrid's Event Webhook verification key (Mail Settings, signed webhook).
                "event_webhook_public_key": public_key_of(demo_webhook_key()),
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


def demo_secrets(
    openai_secret_name: str,
    twilio_auth_token: str,
    openai_key: str,
    twilio_account_sid: str = DEMO_TWILIO_ACCOUNT_SID,
    sendgrid_key: str = LOCAL_SENDGRID_KEY,
) -> dict[str, dict[str, str]]:
    """Secret values for the demo company, by Secrets Manager name (what operators store)."""
    config = demo_company_config()["channel_config"]
    twilio = {"twilio_account_sid": twilio_account_sid, "twilio_auth_token": twilio_auth_token}
    return {
        config["whatsapp"]["whatsapp_credentials_id"]: twilio,
        config["sms"]["sms_credentials_id"]: twilio,
        config["email"]["email_credentials_id"]: {"sendgrid_api_key": sendgrid_key},
        openai_secret_name: {"ai_api_key": openai_key},
    }


def seed(context: SeedContext) -> None:
    """The demo company and its secrets."""
    company = demo_company_config()
    twilio_sid, twilio_token = DEMO_TWILIO_ACCOUNT_SID, LOCAL_TWILIO_TOKEN
    twilio = context.real.get("twilio")
    if twilio is not None:
        twilio_sid, twilio_token = twilio["TWILIO_ACCOUNT_SID"], twilio["TWILIO_AUTH_TOKEN"]
        channels = company["channel_config"]
        channels["whatsapp"]["company_whatsapp_number"] = twilio["TWILIO_FROM_NUMBER"]
        channels["whatsapp"]["content_sid"] = twilio["TWILIO_CONTENT_SID"]
        channels["sms"]["company_sms_number"] = twilio["TWILIO_FROM_NUMBER"]
    table = boto3.resource("dynamodb").Table(
        physical(names.COMPANY_DATA_TABLE.base_name, context.stack)
    )
    table.put_item(Item=company)
    secrets = boto3.client("secretsmanager")
    openai_secret = physical(names.OPENAI_SECRET, context.stack)
    openai = context.real.get("openai")
    openai_key = openai["OPENAI_API_KEY"] if openai else LOCAL_OPENAI_KEY
    sendgrid = context.real.get("sendgrid")
    sendgrid_key = sendgrid["SENDGRID_API_KEY"] if sendgrid else LOCAL_SENDGRID_KEY
    values = demo_secrets(openai_secret, twilio_token, openai_key, twilio_sid, sendgrid_key)
    for name, value in values.items():
        if name == openai_secret:  # declared by the program, without a value
            secrets.put_secret_value(SecretId=name, SecretString=json.dumps(value))
        else:
            # Tagged with its stack, as operators must: the functions' grant requires it.
            secrets.create_secret(
                Name=name,
                SecretString=json.dumps(value),
                Tags=[{"Key": "stack", "Value": context.stack}],
            )


def point_sendgrid_webhook(context: ReadyContext) -> None:
    """Turn the SendGrid fake's Event Webhook on, aimed at the demo company's events route on
    the local comms API, as an operator sets it in a company's SendGrid account (so a demo
    e-mail's delivery events arrive with no step by hand)."""
    fake = context.fakes.get("sendgrid")
    if isinstance(fake, FakeSendGrid) and "comms" in context.apps:
        query = urlencode({"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID})
        fake.webhook.update(
            enabled=True, url=f"{context.apps['comms']}{names.SENDGRID_EVENTS_PATH}?{query}"
        )


PROFILE = Profile(
    system="comms",
    fakes=(
        Fake(
            name="openai",
            build=lambda _context: FakeOpenAI({LOCAL_OPENAI_KEY}),
            variable="OPENAI_BASE_URL",
            suffix="/v1",
            real_variables=("OPENAI_API_KEY",),
        ),
        Fake(
            name="twilio",
            build=lambda _context: FakeTwilio({DEMO_TWILIO_ACCOUNT_SID: LOCAL_TWILIO_TOKEN}),
            variable=TWILIO_API_BASE_URL,
            # A real account cannot send from the demo's number: all four or none.
            real_variables=(
                "TWILIO_ACCOUNT_SID",
                "TWILIO_AUTH_TOKEN",
                "TWILIO_FROM_NUMBER",
                "TWILIO_CONTENT_SID",
            ),
        ),
        Fake(
            name="sendgrid",
            build=lambda _context: FakeSendGrid(
                {LOCAL_SENDGRID_KEY}, signing_key=demo_webhook_key()
            ),
            variable=SENDGRID_API_BASE_URL,
            real_variables=("SENDGRID_API_KEY",),
        ),
    ),
    seed=seed,
    description={"demo": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID}},
    ready=point_sendgrid_webhook,
)
