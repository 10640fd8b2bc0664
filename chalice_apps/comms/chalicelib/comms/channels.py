"""What each channel's company config (``channel_config.<channel>``) must hold before anything
can be sent on it, written once: the router refuses a request for a channel that lacks one
(409, nothing queued), and the processors read the same fields.

Names follow seed 004: ``company_<channel>_number`` or ``company_email`` for the sender,
``<channel>_credentials_id`` for the Secrets Manager *name* of its credentials; WhatsApp also
needs its approved template (``content_sid``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

SENDER_FIELD: Final[dict[str, str]] = {
    "whatsapp": "company_whatsapp_number",
    "sms": "company_sms_number",
    "email": "company_email",
}
# Beyond the sender and the credentials reference.
EXTRA_REQUIRED: Final[dict[str, tuple[str, ...]]] = {"whatsapp": ("content_sid",)}


def credentials_field(channel: str) -> str:
    """The field naming the channel's credentials secret (``email_credentials_id``)."""
    return f"{channel}_credentials_id"


def required_settings(channel: str) -> tuple[str, ...]:
    """Every field ``channel_config.<channel>`` must hold for ``channel`` to send."""
    return (SENDER_FIELD[channel], credentials_field(channel), *EXTRA_REQUIRED.get(channel, ()))


def missing_settings(channel: str, channel_config: Mapping[str, Any]) -> list[str]:
    """The required fields of ``channel`` that the company's ``channel_config`` lacks (or
    holds empty), in the order ``required_settings`` names them."""
    settings = channel_config.get(channel)
    settings = settings if isinstance(settings, Mapping) else {}
    return [name for name in required_settings(channel) if not settings.get(name)]
