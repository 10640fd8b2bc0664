"""Sending through Twilio: an approved WhatsApp template (Content API) or an SMS; and asking
Twilio, after a crash, whether a message went out.

Twilio's SDK does not retry on status codes, so ``retry.provider_retrying`` does: 429 (waiting
at least its ``Retry-After``), error 20429 (too many requests), 5xx and connection failures,
with exponential backoff and jitter. Error codes that no retry can fix (63016 outside the 24 h
window, 63028 template variables, 21211 invalid number, and any other 4xx) are permanent.

Every request has a timeout of ``TIMEOUT_SECONDS``: the SDK has none, and a hung call once
held its batch for 100 s. A create that times out after it was sent may have been accepted,
so it is never repeated: the conversation stays ``sending`` and the redelivery asks Twilio
(``sent_since``) instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

import requests
from tenacity import RetryError, Retrying
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from chalicelib.comms import env
from chalicelib.comms.processor.ai import Drafted
from chalicelib.comms.processor.conversations import ConversationKey
from chalicelib.comms.processor.exceptions import DeliveryUnknownError, PermanentFailureError
from chalicelib.comms.processor.models import ChannelConfig
from chalicelib.comms.processor.outbound import Sent
from chalicelib.comms.processor.retry import (
    RetryLaterError,
    provider_retrying,
    retry_after_seconds,
)
from shared.errors import TransientError

TRANSIENT_CODES = {20429}
# Twilio answers a Messages request in well under a second; 10 s is ten times a slow answer
# and, with four attempts and their waits, stays well under the processors' 90 s timeout.
TIMEOUT_SECONDS: Final = 10.0
# The longest Retry-After waited out inside an invocation; a longer one goes back to SQS.
MAX_RETRY_AFTER_SECONDS: Final = 10.0


def is_transient(err: BaseException) -> bool:
    """Worth sending again: refused for now, or the request never reached Twilio (a read
    timeout is not: the message may have been accepted)."""
    if isinstance(err, RetryLaterError):
        return True
    if isinstance(err, TwilioRestException):
        return err.status == 429 or err.status >= 500 or err.code in TRANSIENT_CODES
    return isinstance(err, requests.ConnectionError)


def is_transient_read(err: BaseException) -> bool:
    """Worth reading again: a read changes nothing, so a timeout is retried too."""
    return is_transient(err) or isinstance(err, requests.Timeout)


class _TimedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, with a timeout, and a 429's ``Retry-After`` kept: the SDK's
    ``TwilioRestException`` drops the response's headers, so a 429 is raised here as
    ``RetryLaterError`` with the delay Twilio asked for."""

    def request(self, *args: Any, **kwargs: Any) -> Response:
        response = super().request(*args, **kwargs)
        if response.status_code == 429:
            headers = response.headers or {}
            raise RetryLaterError(
                f"Twilio answered 429: {response.text[:200]}",
                retry_after_seconds(headers.get("Retry-After")),
            )
        return response


def twilio_client(
    account_sid: str, auth_token: str, timeout_seconds: float = TIMEOUT_SECONDS
) -> Client:
    client = Client(account_sid, auth_token, http_client=_TimedHttpClient(timeout=timeout_seconds))
    base_url = os.environ.get(env.TWILIO_API_BASE_URL)
    if base_url:
        client.api.base_url = base_url
    return client


def twilio_address(channel: str, number: str) -> str:
    """How Twilio names a number on a channel (``whatsapp:+44...`` for WhatsApp)."""
    return f"whatsapp:{number}" if channel == "whatsapp" else number


class TwilioSender:
    def __init__(self, client: Client, attempts: int = 4, backoff_seconds: float = 0.5) -> None:
        """``attempts`` calls at most per message (``retry.provider_retrying``)."""
        self._client = client
        self._sends = provider_retrying(
            is_transient, attempts, backoff_seconds, MAX_RETRY_AFTER_SECONDS
        )
        self._reads = provider_retrying(
            is_transient_read, attempts, backoff_seconds, MAX_RETRY_AFTER_SECONDS
        )

    def _call(self, retrying: Retrying, request: Callable[[], Any]) -> Any:
        try:
            return retrying(request)
        except RetryError as err:
            cause = err.last_attempt.exception()
            raise TransientError(f"Twilio still failing after retries: {cause}") from cause
        except TwilioRestException as err:
            raise PermanentFailureError(f"Twilio refused the message: {err.msg}", err.code) from err

    def _send(self, create: Callable[[], Any]) -> str:
        try:
            message = self._call(self._sends, create)
        except requests.Timeout as err:
            raise DeliveryUnknownError(
                f"Twilio did not answer within {TIMEOUT_SECONDS:g} s; the message may be out"
            ) from err
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
                from_=twilio_address("whatsapp", sender),
                to=twilio_address("whatsapp", to),
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

    def sent_since(self, channel: str, sender: str, to: str, since: datetime) -> list[str]:
        """The SIDs of the messages Twilio sent from ``sender`` to ``to`` at ``since`` or
        later: its Messages list filtered by ``To``, ``From`` and ``DateSent>``, and again by
        ``date_sent`` here (the API documents only a date's precision for that filter).

        Raises:
            TransientError: Twilio could not be asked (after retries).
        """
        try:
            messages = self._call(
                self._reads,
                lambda: self._client.messages.list(
                    to=twilio_address(channel, to),
                    from_=twilio_address(channel, sender),
                    date_sent_after=since,
                    limit=20,
                ),
            )
        except PermanentFailureError as err:
            raise TransientError(f"Twilio refused to list messages: {err.reason}") from err
        return [str(m.sid) for m in messages if m.date_sent and m.date_sent >= since]


def status_callback_url(base: str | None, key: ConversationKey) -> str | None:
    """Where Twilio posts a message's delivery status: the app's ``/twilio/status`` with the
    conversation's key in the query (``base`` is that route's URL; None: no callback)."""
    return f"{base}?{urlencode(key.as_key())}" if base else None


@dataclass(frozen=True)
class TwilioOutbound:
    """WhatsApp (the approved template, the drafted values as its variables) or SMS (the
    drafted text) to one recipient, from the company's number (``outbound.Outbound``)."""

    sender: TwilioSender
    channel: str
    config: ChannelConfig
    to: str
    callback_url: str | None
    provider: str = "Twilio"

    @property
    def credentials_id(self) -> str:
        return self.config.credentials_id

    def send(self, drafted: Drafted) -> Sent:
        if self.channel != "whatsapp":
            text = str(drafted.output["message"])
            return Sent(
                self.sender.send_sms(self.config.sender, self.to, text, self.callback_url), text
            )
        if not self.config.content_sid:
            raise PermanentFailureError("channel_config.whatsapp has no content_sid")
        variables = {k: str(v) for k, v in drafted.output.items()}
        sid = self.sender.send_whatsapp_template(
            self.config.sender, self.to, self.config.content_sid, variables, self.callback_url
        )
        return Sent(sid, str(variables))

    def sent_since(self, since: datetime) -> list[str]:
        return self.sender.sent_since(self.channel, self.config.sender, self.to, since)
