"""Credentials from Secrets Manager, cached in the warm function, never logged.

Secrets follow the seed's naming, ``{channel}-credentials/{company}/{project}/{provider}``
(named in the company config): Twilio's (WhatsApp, SMS) hold ``twilio_account_sid`` and
``twilio_auth_token``, SendGrid's (e-mail) ``sendgrid_api_key``; the OpenAI key secret (named
by the deployment) holds ``ai_api_key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)

from chalicelib.comms.exceptions import PermanentFailureError
from shared.errors import ConfigurationError, TransientError


@dataclass(frozen=True, repr=False)
class TwilioCredentials:
    account_sid: str
    auth_token: str

    def __repr__(self) -> str:  # never print the token, even in a traceback
        return f"TwilioCredentials(account_sid={self.account_sid!r}, auth_token=***)"


@dataclass(frozen=True, repr=False)
class SendGridCredentials:
    api_key: str

    def __repr__(self) -> str:  # never print the key, even in a traceback
        return "SendGridCredentials(api_key=***)"


class Credentials:
    def __init__(self, provider: SecretsProvider, openai_secret: str | None, max_age: int) -> None:
        self._provider = provider
        self._openai_secret = openai_secret
        self._max_age = max_age

    def _json(self, name: str) -> dict[str, Any]:
        try:
            value = self._provider.get(name, transform="json", max_age=self._max_age)
        except TransformParameterError as err:
            raise PermanentFailureError(f"secret {name} is not JSON") from err
        except GetParameterError as err:
            raise TransientError(f"reading secret {name} failed: {err}") from err
        if not isinstance(value, dict):
            raise PermanentFailureError(f"secret {name} is not a JSON object")
        return value

    def twilio(self, secret_name: str) -> TwilioCredentials:
        """Raises PermanentFailureError when the secret lacks a field (an operator's fix)."""
        value = self._json(secret_name)
        try:
            return TwilioCredentials(value["twilio_account_sid"], value["twilio_auth_token"])
        except KeyError as err:
            raise PermanentFailureError(f"secret {secret_name} has no {err.args[0]}") from err

    def sendgrid(self, secret_name: str) -> SendGridCredentials:
        """Raises PermanentFailureError when the secret lacks the key (an operator's fix)."""
        value = self._json(secret_name)
        try:
            return SendGridCredentials(str(value["sendgrid_api_key"]))
        except KeyError as err:
            raise PermanentFailureError(f"secret {secret_name} has no {err.args[0]}") from err

    def openai_key(self) -> str:
        if not self._openai_secret:
            raise ConfigurationError("this function was given no OpenAI secret")
        value = self._json(self._openai_secret)
        try:
            return str(value["ai_api_key"])
        except KeyError as err:
            raise PermanentFailureError(f"secret {self._openai_secret} has no ai_api_key") from err
