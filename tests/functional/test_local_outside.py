"""The local stack with real credentials for some outside services: no fake for them,
nothing pointing their clients elsewhere, and the secrets and demo company holding the
real values (moto in-process, resources from the program)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import UTC, datetime

import boto3

from chalicelib.comms.env import TWILIO_API_BASE_URL
from chalicelib.mentions.env import MENTIONMIND_BASE_URL
from devstack.local_stack import LocalStack
from devstack.mocks import MotoMocks
from devstack.outside import RealServices
from devstack.profiles import FakeContext, fakes, profiles
from devstack.profiles.comms import LOCAL_OPENAI_KEY, demo_company_config
from devstack.stack import seed_demo_data, start_fakes
from shared.names import physical
from tests.conftest import REGION
from tests.functional.conftest import STACK

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "real-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "TWILIO_CONTENT_SID": "HX" + "2" * 32,
}
REAL = RealServices({"mentionmind": {"MENTIONMIND_API_KEY": "mm-real"}, "twilio": TWILIO})


def secret(name: str) -> dict[str, str]:
    client = boto3.client("secretsmanager", region_name=REGION)
    value: dict[str, str] = json.loads(client.get_secret_value(SecretId=name)["SecretString"])
    return value


def test_only_services_without_credentials_get_a_fake(dev_stack: MotoMocks) -> None:
    local = LocalStack(stack=STACK, host="127.0.0.1", moto_port=0, http_port=0, credentials=REAL)
    with ExitStack() as exits:
        environment = start_fakes(local, exits, FakeContext(dev_stack, datetime.now(UTC)))

    assert set(local.fakes) == set(fakes(profiles())) - {"mentionmind", "twilio"}
    assert environment["OPENAI_BASE_URL"] == f"{local.fakes['openai']}/v1"
    assert MENTIONMIND_BASE_URL not in environment and TWILIO_API_BASE_URL not in environment


def test_real_credentials_are_stored_where_the_functions_read_them(dev_stack: MotoMocks) -> None:
    seed_demo_data(LocalStack(stack=STACK, host="", moto_port=0, http_port=0, credentials=REAL))

    config = demo_company_config()["channel_config"]
    twilio = secret(config["whatsapp"]["whatsapp_credentials_id"])
    assert twilio == {
        "twilio_account_sid": TWILIO["TWILIO_ACCOUNT_SID"],
        "twilio_auth_token": "real-token",
    }
    assert secret(physical("mentionmind/api-key", STACK)) == {"api_key": "mm-real"}
    assert secret(physical("ai-api-key/global", STACK)) == {"ai_api_key": LOCAL_OPENAI_KEY}
    company = boto3.resource("dynamodb", region_name=REGION).Table(physical("company-data", STACK))
    stored = company.get_item(Key={"company_id": "ci-aaa-001", "project_id": "pi-aaa-001"})["Item"]
    whatsapp = stored["channel_config"]["whatsapp"]
    assert (whatsapp["company_whatsapp_number"], whatsapp["content_sid"]) == (
        TWILIO["TWILIO_FROM_NUMBER"],
        TWILIO["TWILIO_CONTENT_SID"],
    )
    assert stored["channel_config"]["sms"]["company_sms_number"] == TWILIO["TWILIO_FROM_NUMBER"]
