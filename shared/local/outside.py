"""Which outside APIs the local stack fakes and which it calls for real.

The fakes are the default. A service is called for real when its credentials are in the
environment ``make dev`` starts in; the stack then stores them in the secrets the functions
read (as an operator would in AWS), starts no fake for it and points nothing at one:

- OpenAI: ``OPENAI_API_KEY``;
- MentionMind: ``MENTIONMIND_API_KEY`` (the projects are the stack's ``mentions.projectIds``:
  ``--set serverless-fleet:mentions='{...}'`` to use yours);
- Twilio: ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_FROM_NUMBER`` (the demo
  company's sender, WhatsApp-enabled) and ``TWILIO_CONTENT_SID`` (its approved WhatsApp
  template): all four or none, since a real account cannot send from the demo's number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

TWILIO_VARIABLES = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_CONTENT_SID",
)


@dataclass(frozen=True, repr=False)
class TwilioAccount:
    account_sid: str
    auth_token: str
    from_number: str
    content_sid: str

    def __repr__(self) -> str:  # never print the token
        return f"TwilioAccount(account_sid={self.account_sid!r}, from_number={self.from_number!r})"


@dataclass(frozen=True, repr=False)
class RealCredentials:
    openai_key: str | None = None
    mentionmind_key: str | None = None
    twilio: TwilioAccount | None = None

    def __repr__(self) -> str:
        return f"RealCredentials(real={self.services()})"

    def services(self) -> list[str]:
        """The services called for real, by the name stack.json uses for their fakes."""
        chosen = {
            "openai": self.openai_key,
            "mentionmind": self.mentionmind_key,
            "twilio": self.twilio,
        }
        return [name for name, value in chosen.items() if value]


def real_credentials(environ: Mapping[str, str]) -> RealCredentials:
    """Raises:
    ValueError: some Twilio variables are set and others are not (it names the missing).
    """
    twilio_values = {name: environ.get(name, "") for name in TWILIO_VARIABLES}
    missing = [name for name, value in twilio_values.items() if not value]
    if missing and len(missing) < len(TWILIO_VARIABLES):
        raise ValueError(f"a real Twilio account needs {missing} too (or none of them set)")
    return RealCredentials(
        openai_key=environ.get("OPENAI_API_KEY") or None,
        mentionmind_key=environ.get("MENTIONMIND_API_KEY") or None,
        twilio=None if missing else TwilioAccount(*twilio_values.values()),
    )
