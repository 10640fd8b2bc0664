"""Sending through Twilio: an approved WhatsApp template (Content API) or an SMS.

Twilio's SDK does not retry on status codes, so tenacity does: 429, error 20429 (too many
requests), 5xx and connection failures, with exponential backoff and jitter. Error codes that
no retry can fix (63016 outside the 24 h window, 63028 template variables, 21211 invalid
number, and any other 4xx) are permanent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import requests
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from chalicelib.comms import env
from chalicelib.comms.processor.exceptions import PermanentFailureError
from shared.errors import TransientError

TRANSIENT_CODES = {20429}


def is_transient(err: BaseException) -> bool:
    if isinstance(err, TwilioRestException):
        return err.status == 429 or err.status >= 500 or err.code in TRANSIENT_CODES
    return isinstance(err, requests.ConnectionError | requests.Timeout)


def twilio_client(account_sid: str, auth_token: str) -> Client:
    client = Client(account_sid, auth_token)
    base_url = os.environ.get(env.TWILIO_API_BASE_URL)
    if base_url:
        client.api.base_url = base_url
    return client


class TwilioSender:
    def __init__(
        self,
        client: Client,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
    ) -> None:
        """``attempts`` calls at most, waiting about ``backoff_seconds`` x 2^n between them
        (plus as much jitter), 8 s at most."""
        self._client = client
        self._retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(attempts),
            wait=wait_exponential_jitter(multiplier=backoff_seconds, max=8, jitter=backoff_seconds),
            reraise=False,
        )

    def _send(self, create: Callable[[], Any]) -> str:
        try:
            message = self._retrying(create)
        except RetryError as err:
            cause = err.last_attempt.exception()
            raise TransientError(f"Twilio still failing after retries: {cause}") from cause
        except TwilioRestException as err:
            raise PermanentFailureError(f"Twilio refused the message: {err.msg}", err.code) from err
        return str(message.sid)

    def send_whatsapp_template(
        self,
        sender: str,
        to: str,
        content_sid: str,
        variables: dict[str, str],
        status_callback: str | None,
    ) -> str:
        """Send the approved template; returns the message SID."""
        callback = {"status_callback": status_callback} if status_callback else {}
        return self._send(
            lambda: self._client.messages.create(
                from_=f"whatsapp:{sender}",
                to=f"whatsapp:{to}",
                content_sid=content_sid,
                content_variables=json.dumps(variables),
                **callback,
            )
        )

    def send_sms(self, sender: str, to: str, body: str, status_callback: str | None) -> str:
        """Send a plain SMS; returns the message SID."""
        callback = {"status_callback": status_callback} if status_callback else {}
        return self._send(
            lambda: self._client.messages.create(from_=sender, to=to, body=body, **callback)
        )
