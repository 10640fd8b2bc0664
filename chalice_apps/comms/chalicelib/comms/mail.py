"""Sending e-mail through SendGrid's v3 Mail Send (``POST /v3/mail/send``, ``202 Accepted``,
the message's id in ``X-Message-Id``), over plain HTTP.

Retried inside the invocation: 429 (waiting until its ``X-RateLimit-Reset``, at most
``MAX_RATE_LIMIT_WAIT_SECONDS``: a longer wait goes back to SQS), a 5xx SendGrid explains in
its error body, and a connection that could not be made, with backoff and jitter
(``retry.provider_retrying``). Permanent: 400 (the mail is invalid), 401 and 403 (the key is
wrong or may not send from this address), and any other 4xx. Each request times out after
``TIMEOUT_SECONDS``, or less when the invocation's ``budget.Budget`` has less left. A send
that fails once its request may have reached SendGrid (a reset, a broken pipe, a connection
closed without an answer, a read timeout, a 5xx without SendGrid's body:
``transport.may_have_gone_out``) may have been accepted, so it is never repeated
(``DeliveryUnknownError``).

Each mail carries the conversation's key in ``custom_args``, which SendGrid hands back in
every event of its Event Webhook (``email_events.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import requests
from tenacity import RetryError

from chalicelib.comms.ai import Drafted
from chalicelib.comms.budget import Budget
from chalicelib.comms.context_object import ChannelConfig
from chalicelib.comms.conversations import ConversationKey
from chalicelib.comms.exceptions import DeliveryUnknownError, PermanentFailureError
from chalicelib.comms.outbound import Sent
from chalicelib.comms.retry import RetryLaterError, longest_wait, provider_retrying
from chalicelib.comms.transport import (
    UnexplainedServerError,
    may_have_gone_out,
    never_sent,
)
from shared.errors import TransientError

API_BASE_URL: Final = "https://api.sendgrid.com"
MAIL_SEND_PATH: Final = "/v3/mail/send"
# Mail Send answers in well under a second; 10 s is ten times a slow answer (the
# invocation's budget may allow less: ``budget.Budget.plan``).
TIMEOUT_SECONDS: Final = 10.0
# The longest rate-limit reset waited out inside an invocation; a longer one goes back to SQS.
MAX_RATE_LIMIT_WAIT_SECONDS: Final = 10.0


class SendGridServerError(Exception):
    """SendGrid answered 5xx with its own error body: it did not take the mail, worth
    another attempt."""


def is_transient(err: BaseException) -> bool:
    """Worth sending again: refused for now, failed on SendGrid's side as it says, or the
    connection was never made (a failure after it was is not: ``transport``)."""
    return isinstance(err, RetryLaterError | SendGridServerError) or never_sent(err)


def _sendgrid_error_body(response: requests.Response) -> bool:
    """The body is SendGrid's own error: ``{"errors": [...]}``."""
    try:
        payload = response.json()
    except ValueError:
        return False
    return isinstance(payload, dict) and isinstance(payload.get("errors"), list)


def seconds_until(reset: str | None, now: Callable[[], float] = time.time) -> float | None:
    """The wait ``X-RateLimit-Reset`` (the Unix time the limit resets at) asks for; None when
    absent or unreadable, never negative."""
    try:
        reset_at = float(reset or "")
    except ValueError:
        return None
    return max(reset_at - now(), 0.0)


def _reason(response: requests.Response) -> str:
    """SendGrid's own words: the first of ``{"errors": [{"message", "field"}]}``."""
    try:
        first = response.json()["errors"][0]
        field = f" ({first['field']})" if first.get("field") else ""
        return f"{first['message']}{field}"
    except (ValueError, KeyError, IndexError, TypeError):
        return response.text[:200] or f"HTTP {response.status_code}"


class SendGridSender:
    def __init__(
        self,
        session: requests.Session,
        api_key: str,
        base_url: str = API_BASE_URL,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = TIMEOUT_SECONDS,
    ) -> None:
        """``attempts`` calls at most per mail (``retry.provider_retrying``); ``base_url`` is
        SendGrid's address (a fake's in tests and on the local stack)."""
        self._session = session
        self._api_key = api_key
        self._url = base_url + MAIL_SEND_PATH
        self._timeout = timeout_seconds
        self._attempts = attempts
        self._backoff = backoff_seconds

    def _post(self, mail: dict[str, Any], timeout: float) -> str:
        response = self._session.post(
            self._url,
            json=mail,
            headers={"Authorization": f"Bearer {self._api_key}"},
            timeout=timeout,
        )
        if response.status_code == 202:
            return response.headers.get("X-Message-Id", "")
        if response.status_code == 429:
            raise RetryLaterError(
                f"SendGrid answered 429: {_reason(response)}",
                seconds_until(response.headers.get("X-RateLimit-Reset")),
            )
        if response.status_code >= 500:
            if not _sendgrid_error_body(response):
                raise UnexplainedServerError("SendGrid", response.status_code)
            raise SendGridServerError(
                f"SendGrid answered {response.status_code}: {_reason(response)}"
            )
        raise PermanentFailureError(
            f"SendGrid refused the mail: {_reason(response)}", response.status_code
        )

    def send(self, mail: dict[str, Any], budget: Budget) -> str:
        """Send one Mail Send request body; returns SendGrid's message id.

        Raises:
            PermanentFailureError: a 4xx other than 429 (its code is the HTTP status).
            DeliveryUnknownError: the answer was lost after the request may have reached
                SendGrid; never repeated.
            TransientError: nothing went out (after the retries), or no time was left.
        """
        plan = budget.plan(
            "SendGrid's Mail Send",
            self._timeout,
            self._attempts,
            longest_wait(MAX_RATE_LIMIT_WAIT_SECONDS),
        )
        retrying = provider_retrying(
            is_transient, plan.attempts, self._backoff, MAX_RATE_LIMIT_WAIT_SECONDS
        )
        try:
            return str(retrying(lambda: self._post(mail, plan.timeout_seconds)))
        except RetryError as err:
            cause = err.last_attempt.exception()
            raise TransientError(f"SendGrid still failing after retries: {cause}") from cause
        except Exception as err:
            if may_have_gone_out(err):
                raise DeliveryUnknownError(
                    f"SendGrid's answer was lost ({type(err).__name__}); the mail may be out"
                ) from err
            raise


def _address(email: str, name: str | None) -> dict[str, str]:
    return {"email": email, "name": name} if name else {"email": email}


def mail_request(
    config: ChannelConfig,
    to: str,
    to_name: str | None,
    subject: str,
    body: str,
    key: ConversationKey,
) -> dict[str, Any]:
    """The Mail Send body: one recipient, the company's sender (its display name and
    reply-to when configured), a plain-text body, and the conversation's key as
    ``custom_args``."""
    mail: dict[str, Any] = {
        "personalizations": [{"to": [_address(to, to_name)]}],
        "from": _address(config.sender, config.sender_name),
        "subject": subject,
        "content": [{"type": "text/plain", "value": body}],
        "custom_args": key.as_key(),
    }
    if config.reply_to:
        mail["reply_to"] = {"email": config.reply_to}
    return mail


@dataclass(frozen=True)
class MailOutbound:
    """The drafted subject and body to one recipient, from the company's address
    (``outbound.Outbound``)."""

    sender: SendGridSender
    config: ChannelConfig
    key: ConversationKey
    to_name: str | None
    provider: str = "SendGrid"
    # SendGrid reports delivery to the Event Webhook its account's settings name.
    callback_url: str | None = None

    @property
    def credentials_id(self) -> str:
        return self.config.credentials_id

    def send(self, drafted: Drafted, budget: Budget) -> Sent:
        subject, body = str(drafted.output["subject"]), str(drafted.output["body"])
        mail = mail_request(
            self.config, self.key.primary_channel, self.to_name, subject, body, self.key
        )
        return Sent(self.sender.send(mail, budget), f"Subject: {subject}\n\n{body}")

    def sent_since(self, since: datetime, budget: Budget) -> None:
        """SendGrid lists sent mail only through its paid Email Activity add-on: an
        interrupted send is never looked up, and never resent."""
        return None
