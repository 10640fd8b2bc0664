"""comms' API handler (the router and the delivery reports) reads its settings as the
program writes them (``infra/systems/comms/component.py``), and a bad one is named on the
first request."""

from __future__ import annotations

import json

import pytest

from chalicelib.comms import env
from chalicelib.comms.settings import ApiSettings
from shared.env import SECRETS_CACHE_SECONDS
from shared.errors import ConfigurationError
from shared.settings import from_environment

QUEUES = {
    channel: f"https://sqs.eu-north-1.amazonaws.com/000000000000/comms-{channel}-dev"
    for channel in ("whatsapp", "sms", "email")
}


def test_the_api_handler_reads_its_queues_as_json_and_names_a_bad_value() -> None:
    # GIVEN the API handler's environment, every value a string as Lambda holds it
    environment = {
        env.COMPANY_DATA_TABLE: "company-data-dev",
        env.CHANNEL_QUEUE_URLS: json.dumps(QUEUES),
        env.CONFIG_CACHE_SECONDS: "45",
        env.CONVERSATIONS_TABLE: "comms-conversations-dev",
        SECRETS_CACHE_SECONDS: "120",
    }

    # WHEN it is read
    settings = from_environment(ApiSettings, environment)

    # THEN the queues are a parsed mapping and the numbers are numbers
    assert settings.channel_queue_urls == QUEUES
    assert settings.config_cache_seconds == 45.0
    assert settings.secrets_cache_seconds == 120
    assert settings.company_data_table == "company-data-dev"

    # AND queues given as a list, and a company table given empty, are each named
    with pytest.raises(ConfigurationError) as raised:
        from_environment(
            ApiSettings,
            environment
            | {
                env.CHANNEL_QUEUE_URLS: json.dumps(list(QUEUES.values())),
                env.COMPANY_DATA_TABLE: "",
            },
        )
    assert f"{env.CHANNEL_QUEUE_URLS}:" in str(raised.value)
    assert f"{env.COMPANY_DATA_TABLE}:" in str(raised.value)
    assert QUEUES["sms"] not in str(raised.value)
