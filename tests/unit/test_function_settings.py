"""A function's settings read from its environment (``shared/settings.py``), and mentions'
ingester settings as its wiring reads them."""

from __future__ import annotations

import json

import pytest
from pydantic import Field, Json

from chalicelib.mentions import env
from chalicelib.mentions.wiring import IngesterSettings
from shared.errors import ConfigurationError
from shared.settings import FunctionSettings, from_environment


class Example(FunctionSettings):
    table: str = Field(validation_alias="EXAMPLE_TABLE")
    days: int = Field(gt=0, validation_alias="EXAMPLE_DAYS")
    ids: Json[list[str]] = Field(validation_alias="EXAMPLE_IDS")
    url: str = Field(default="https://api.example.com", validation_alias="EXAMPLE_URL")


def test_values_are_typed_json_is_parsed_and_defaults_fill_the_unset() -> None:
    settings = from_environment(
        Example, {"EXAMPLE_TABLE": "t-dev", "EXAMPLE_DAYS": "30", "EXAMPLE_IDS": '["a", "b"]'}
    )
    assert settings.days == 30 and settings.ids == ["a", "b"]
    assert settings.url == "https://api.example.com"


def test_every_missing_or_invalid_variable_is_named_without_its_value() -> None:
    with pytest.raises(ConfigurationError) as raised:
        from_environment(
            Example, {"EXAMPLE_DAYS": "secret-ish-0", "EXAMPLE_IDS": '{"not": "a list"}'}
        )
    message = str(raised.value)
    assert "EXAMPLE_TABLE: Field required" in message
    assert "EXAMPLE_DAYS:" in message and "EXAMPLE_IDS:" in message
    assert "secret-ish-0" not in message


def test_the_ingester_reads_its_window_and_projects_as_the_program_writes_them() -> None:
    window = {
        "firstRunLookbackHours": 24,
        "overlapMinutes": 5,
        "maxWindowHours": 6,
        "leaseSeconds": 960,
    }
    environment = {
        env.MENTIONS_TABLE: "mentions-dev",
        env.MENTIONS_RETENTION_DAYS: "90",
        env.INGESTER_STATE_TABLE: "mentions-ingester-state-dev",
        env.MENTIONMIND_SECRET_NAME: "mentions/mentionmind-dev",
        env.MENTIONMIND_PROJECT_IDS: json.dumps(["p-1", "p-2"]),
        env.INGESTION_WINDOW: json.dumps(window),
    }
    settings = from_environment(IngesterSettings, environment)
    assert settings.project_ids == ["p-1", "p-2"]
    assert settings.window.lease_seconds == 960 and settings.retention_days == 90

    with pytest.raises(ConfigurationError, match=env.MENTIONMIND_PROJECT_IDS):
        from_environment(IngesterSettings, environment | {env.MENTIONMIND_PROJECT_IDS: "[1]"})
