"""Small infra helpers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from infra.components.chalice_app import kebab
from shared.serialization import dumps


@pytest.mark.parametrize(
    ("logical", "name"),
    [
        ("APIHandler", "api-handler"),
        ("WhatsappProcessor", "whatsapp-processor"),
        ("Tick", "tick"),
        ("SMSProcessor", "sms-processor"),
        ("Ingest2Days", "ingest2-days"),
    ],
)
def test_logical_ids_become_kebab_names(logical: str, name: str) -> None:
    assert kebab(logical) == name


def test_dynamodb_numbers_serialise_as_json_numbers() -> None:
    assert (
        dumps({"a": Decimal("3"), "b": Decimal("2.5"), "c": {"x"}}) == '{"a":3,"b":2.5,"c":["x"]}'
    )


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError, match="object is not JSON serialisable"):
        dumps({"a": object()})
