"""Which outside services the local stack calls for real, from the environment."""

from __future__ import annotations

import pytest

from devstack.outside import RealServices, real_services
from devstack.profiles import fakes, profiles

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "real-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "TWILIO_CONTENT_SID": "HX" + "2" * 32,
}


def wanted() -> dict[str, tuple[str, ...]]:
    """What the systems' profiles declare: each fake and the variables of its real service."""
    return {fake.name: fake.real_variables for fake in fakes(profiles()).values()}


def test_every_profile_fake_can_be_replaced_by_the_real_service() -> None:
    assert wanted() == {
        "openai": ("OPENAI_API_KEY",),
        "twilio": tuple(TWILIO),
        "sendgrid": ("SENDGRID_API_KEY",),
        "mentionmind": ("MENTIONMIND_API_KEY",),
        # Public services: the URL of the real one is the switch.
        "patchwork": ("PATCHWORK_URL",),
        "lore": ("LORE_URL",),
        "youtube": ("YOUTUBE_API_KEY",),
    }


def test_nothing_set_means_every_fake() -> None:
    assert real_services({}, wanted()).services() == []


def test_each_service_is_real_when_its_credentials_are_set() -> None:
    credentials = real_services(
        {"OPENAI_API_KEY": "sk-real", "MENTIONMIND_API_KEY": "mm"} | TWILIO, wanted()
    )

    assert credentials.services() == ["mentionmind", "openai", "twilio"]
    assert credentials.get("twilio") == TWILIO


def test_a_partial_twilio_account_is_refused_naming_what_is_missing() -> None:
    partial = {k: v for k, v in TWILIO.items() if k != "TWILIO_CONTENT_SID"}

    with pytest.raises(ValueError, match="TWILIO_CONTENT_SID"):
        real_services(partial, wanted())


def test_no_token_or_key_is_ever_in_the_repr() -> None:
    credentials = real_services({"OPENAI_API_KEY": "sk-real"} | TWILIO, wanted())

    assert "sk-real" not in repr(credentials)
    assert "real-token" not in repr(credentials)
    assert repr(RealServices()) == "RealServices(real=[])"
