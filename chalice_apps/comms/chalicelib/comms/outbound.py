"""What the processor needs of a channel's provider, whichever it is (Twilio for WhatsApp and
SMS, SendGrid for e-mail): send the drafted first message, and say afterwards whether a send
that was interrupted went out. ``processor_wiring.py`` builds one per conversation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.comms.ai import Drafted
    from chalicelib.comms.budget import Budget


@dataclass(frozen=True)
class Sent:
    """A message the provider accepted: its id (Twilio's SID, SendGrid's X-Message-Id) and
    what was sent, as the record keeps it."""

    message_id: str
    content: str


class Outbound(Protocol):
    """One conversation's channel: the provider, bound to the company's sender and
    credentials and to the recipient."""

    @property
    def provider(self) -> str:
        """Its name, for the reasons a conversation is failed with."""

    @property
    def credentials_id(self) -> str:
        """The credentials secret's name, kept on the record (callbacks verify with it)."""

    @property
    def callback_url(self) -> str | None:
        """Where the provider reports this message's delivery, kept on the record; None
        when the provider reports to an address set in its own settings."""

    def send(self, drafted: Drafted, budget: Budget) -> Sent:
        """Send once (the provider's transient refusals retried inside, within ``budget``).

        Raises:
            PermanentFailureError: the provider refused the message for good.
            DeliveryUnknownError: the answer was lost after the request may have reached
                the provider; never repeated.
            TransientError: nothing went out; worth a later attempt.
        """

    def sent_since(self, since: datetime, budget: Budget) -> list[str] | None:
        """The ids of messages the provider sent to the recipient from the company's sender
        at ``since`` or later; None when the provider cannot be asked.

        Raises:
            TransientError: the provider could not be asked now.
        """
