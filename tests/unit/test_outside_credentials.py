"""Which outside services the local stack calls for real, from the environment."""

from __future__ import annotations

import pytest

from shared.local.outside import RealCredentials, TwilioAccount, real_credentials

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "real-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "TWILIO_CONTENT_SID": "HX" + "2" * 32,
}


def test_nothing_set_means_every_fake() -> None:
    assert real_credentials({}).services() == []


def test_each_service_is_real_when_its_credentials_are_set() -> None:
    credentials = real_credentials(
        {"OPENAI_API_KEY": "sk-real", "MENTIONMIND_API_KEY": "mm"} | TWILIO
    )

    assert credentials.services() == ["openai", "mentionmind", "twilio"]
    assert credentials.twilio == TwilioAccount(
        TWILIO["TWILIO_ACCOUNT_SID"], "real-token", "+15005550006", TWILIO["TWILIO_CONTENT_SID"]
    )


def test_a_partial_twilio_account_is_refused_naming_what_is_missing() -> None:
    partial = {k: v for k, v in TWILIO.items() if k != "TWILIO_CONTENT_SID"}

    with pytest.raises(ValueError, match="TWILIO_CONTENT_SID"):
        real_credentials(partial)


def test_no_token_or_key_is_ever_in_the_repr() -> None:
    credentials = real_credentials({"OPENAI_API_KEY": "sk-real"} | TWILIO)

    assert "sk-real" not in repr(credentials)
    assert "real-token" not in repr(credentials.twilio)
    assert repr(RealCredentials()) == "RealCredentials(real=[])"
