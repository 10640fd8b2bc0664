"""Sending through Twilio: an approved WhatsApp template (Content API) or an SMS; and asking
Twilio, after a send whose answer was lost, whether the message went out.

Twilio's SDK does not retry on status codes, so ``retry.provider_retrying`` does: 429 (waiting
at least its ``Retry-After``), error 20429 (too many requests), a 5xx Twilio explains in its
error body, and a connection that could not be made, with exponential backoff and jitter.
Error codes that no retry can fix (63016 outside the 24 h window, 63028 template variables,
21211 invalid number, and any other 4xx) are permanent.

Every request has a timeout (the SDK has none, and a hung call once held its batch for 100 s):
``TIMEOUT_SECONDS``, or less when the invocation's ``budget.Budget`` has less left. A create
that fails once its request may have reached Twilio (a reset, a broken pipe, a connection
closed without an answer, a read timeout, a 5xx without Twilio's body:
``transport.may_have_gone_out``) is never repeated: the conversation stays ``sending`` and the
redelivery asks Twilio (``sent_since``) instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from tenacity import RetryError, Retrying
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from chalicelib.comms.ai import Drafted
from chalicelib.comms.budget import Budget
from chalicelib.comms.context_object import ChannelConfig
from chalicelib.comms.conversations import ConversationKey
from chalicelib.comms.exceptions import DeliveryUnknownError, PermanentFailureError
from chalicelib.comms.outbound import Sent
from chalicelib.comms.retry import (
    RetryLaterError,
    longest_wait,
    provider_retrying,
    retry_after_seconds,
)
from chalicelib.comms.transport import (
    UnexplainedServerError,
    may_have_gone_out,
    never_sent,
)
from shared.errors import TransientError

TRANSIENT_CODES = {20429}
# Twilio answers a Messages request in well under a second; 10 s is ten times a slow answer
# (the invocation's budget may allow less: ``budget.Budget.plan``).
TIMEOUT_SECONDS: Final = 10.0
# The longest Retry-After waited out inside an invocation; a longer one goes back to SQS.
MAX_RETRY_AFTER_SECONDS: Final = 10.0


def is_transient(err: BaseException) -> bool:
    """Worth sending again: refused for now, failed on Twilio's side as it says, or the
    connection was never made (a failure after it was is not: ``transport``)."""
    if isinstance(err, RetryLaterError):
        return True
    if isinstance(err, TwilioRestException):
        return err.status == 429 or err.status >= 500 or err.code in TRANSIENT_CODES
    return never_sent(err)


def is_transient_read(err: BaseException) -> bool:
    """Worth reading again: a read changes nothing, so a lost answer is retried too."""
    return is_transient(err) or may_have_gone_out(err)


def _twilio_error_body(text: str) -> bool:
    """The body is Twilio's own error (``{"code", "message", ...}``, or RFC 9457's)."""
    try:
        payload = json.loads(text)
    except ValueError:
        return False
    return isinstance(payload, dict) and "code" in payload


class _TimedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, with a timeout, and two answers raised before the SDK reads
    them: a 429 as ``RetryLaterError`` with the ``Retry-After`` Twilio asked for (the SDK's
    ``TwilioRestException`` drops the headers), and a 5xx without Twilio's error body as
    ``UnexplainedServerError`` (the SDK would make it look like Twilio's own 5xx)."""

    def request(self, *args: Any, **kwargs: Any) -> Response:
        response = super().request(*args, **kwargs)
        if response.status_code == 429:
            headers = response.headers or {}
            raise RetryLaterError(
                f"Twilio answered 429: {response.text[:200]}",
                retry_after_seconds(headers.get("Retry-After")),
            )
        if response.status_code >= 500 and not _twilio_error_body(response.text or ""):
            raise UnexplainedServerError("Twilio", response.status_code)
        return response


def twilio_client(
    account_sid: str,
    auth_token: str,
    timeout_seconds: float = TIMEOUT_SECONDS,
    base_url: str | None = None,
) -> Client:
    """Twilio's SDK client, at ``base_url`` when given (a fake that speaks Twilio's API, in
    tests and on the local stack), else at Twilio's own address."""
    client = Client(account_sid, auth_token, http_client=_TimedHttpClient(timeout=timeout_seconds))
    if base_url:
        client.api.base_url = base_url
    return client


def twilio_address(channel: str, number: str) -> str:
    """How Twilio names a number on a channel (``whatsapp:+44...`` for WhatsApp)."""
    return f"whatsapp:{number}" if channel == "whatsapp" else number


class TwilioSender:
    def __init__(
        self,
        client: Client,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = TIMEOUT_SECONDS,
    ) -> None:
        """``attempts`` calls of ``timeout_seconds`` at most per request
        (``retry.provider_retrying``), fewer or shorter when the budget has less left."""
        self._client = client
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds

    def _call(
        self,
        what: str,
        budget: Budget,
        is_worth_retrying: Callable[[BaseException], bool],
        request: Callable[[], Any],
    ) -> Any:
        plan = budget.plan(
            what, self._timeout, self._attempts, longest_wait(MAX_RETRY_AFTER_SECONDS)
        )
        # Read by _TimedHttpClient on each request; a processor handles one record at a time.
        self._client.http_client.timeout = plan.timeout_seconds
        retrying: Retrying = provider_retrying(
            is_worth_retrying, plan.attempts, self._backoff, MAX_RETRY_AFTER_SECONDS
        )
        try:
            return retrying(request)
        except RetryError as err:
            cause = err.last_attempt.exception()
            raise TransientError(f"Twilio still failing after retries: {cause}") from cause
        except TwilioRestException as err:
            raise PermanentFailureError(f"Twilio refused the message: {err.msg}", err.code) from err

    def _send(self, create: Callable[[], Any], budget: Budget) -> str:
        try:
            message = self._call("Twilio's Messages create", budget, is_transient, create)
        except Exception as err:
            if may_have_gone_out(err):
                raise DeliveryUnknownError(
                    f"Twilio's answer was lost ({type(err).__name__}); the message may be out"
                ) from err
            raise
        return str(message.sid)

    def send_whatsapp_template(
        self,
        sender: str,
        to: str,
        content_sid: str,
        variables: dict[str, str],
        status_callback: str | None,
        budget: Budget,
    ) -> str:
        """Send the approved template; returns the message SID.

        Raises:
            PermanentFailureError: Twilio refused it for good (its error code kept).
            DeliveryUnknownError: the answer was lost after the request may have reached
                Twilio; never repeated.
            TransientError: nothing went out (after the retries), or no time was left.
        """
        callback = {"status_callback": status_callback} if status_callback else {}
        return self._send(
            lambda: self._client.messages.create(
                from_=twilio_address("whatsapp", sender),
                to=twilio_address("whatsapp", to),
                content_sid=content_sid,
                content_variables=json.dumps(variables),
                **callback,
            ),
            budget,
        )

    def send_sms(
        self, sender: str, to: str, body: str, status_callback: str | None, budget: Budget
    ) -> str:
        """Send a plain SMS; returns the message SID (raises as ``send_whatsapp_template``)."""
        callback = {"status_callback": status_callback} if status_callback else {}
        return self._send(
            lambda: self._client.messages.create(from_=sender, to=to, body=body, **callback),
            budget,
        )

    def sent_since(
        self, channel: str, sender: str, to: str, since: datetime, budget: Budget
    ) -> list[str]:
        """The SIDs of the messages Twilio sent from ``sender`` to ``to`` at ``since`` or
        later: its Messages list filtered by ``To``, ``From`` and ``DateSent>``, and again by
        ``date_sent`` here (the API documents only a date's precision for that filter).

        Raises:
            TransientError: Twilio could not be asked (after retries).
        """
        try:
            messages = self._call(
                "Twilio's Messages list",
                budget,
                is_transient_read,
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

    def send(self, drafted: Drafted, budget: Budget) -> Sent:
        if self.channel != "whatsapp":
            text = str(drafted.output["message"])
            sid = self.sender.send_sms(self.config.sender, self.to, text, self.callback_url, budget)
            return Sent(sid, text)
        if not self.config.content_sid:
            raise PermanentFailureError("channel_config.whatsapp has no content_sid")
        variables = {k: str(v) for k, v in drafted.output.items()}
        sid = self.sender.send_whatsapp_template(
            self.config.sender,
            self.to,
            self.config.content_sid,
            variables,
            self.callback_url,
            budget,
        )
        return Sent(sid, str(variables))

    def sent_since(self, since: datetime, budget: Budget) -> list[str]:
        return self.sender.sent_since(self.channel, self.config.sender, self.to, since, budget)
