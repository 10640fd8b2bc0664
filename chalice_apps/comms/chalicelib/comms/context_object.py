"""The context object as the processors read it (the router writes it: context.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.comms.channels import SENDER_FIELD, credentials_field, missing_settings


class _Loose(BaseModel):
    # The router passes through fields the contract does not name; keep them, ignore them.
    model_config = ConfigDict(extra="allow")


class Recipient(_Loose):
    recipient_first_name: str | None = None
    recipient_last_name: str | None = None
    recipient_tel: str | None = None
    recipient_email: str | None = None

    def full_name(self) -> str | None:
        """First and last name as a mail's ``To`` shows them; None without either."""
        names = (self.recipient_first_name, self.recipient_last_name)
        return " ".join(name for name in names if name) or None


class RequestData(_Loose):
    request_id: str
    channel_method: str


class CompanyRef(_Loose):
    company_id: str
    project_id: str


class FrontendPayload(_Loose):
    company_data: CompanyRef
    recipient_data: Recipient
    project_data: dict[str, Any] = Field(default_factory=dict)
    request_data: RequestData


class ChannelConfig(_Loose):
    """``channel_config.<channel>``: the sender and the Secrets Manager *name* of its
    credentials, plus the approved template for WhatsApp, and for e-mail the sender's
    display name and the reply-to address."""

    credentials_id: str
    sender: str
    content_sid: str | None = None
    sender_name: str | None = None
    reply_to: str | None = None


class CompanyConfig(_Loose):
    company_id: str
    project_id: str
    company_name: str = ""
    project_name: str = ""
    channel_config: dict[str, dict[str, Any]] = Field(default_factory=dict)
    ai_config: dict[str, Any] = Field(default_factory=dict)


class ConversationData(_Loose):
    conversation_id: str
    conversation_start_timestamp: str


class ContextObject(_Loose):
    frontend_payload: FrontendPayload
    company_data_payload: CompanyConfig
    conversation_data: ConversationData
    metadata: dict[str, Any] = Field(default_factory=dict)

    def channel_config(self, channel: str) -> ChannelConfig:
        """The sender settings for ``channel`` under the seed's field names
        (``channels.required_settings``).

        Raises:
            ValueError: the company config has no usable settings for the channel.
        """
        channels = self.company_data_payload.channel_config
        missing = missing_settings(channel, channels)
        if missing:
            raise ValueError(f"channel_config.{channel} lacks {', '.join(missing)}")
        raw = channels[channel]
        return ChannelConfig(
            credentials_id=raw[credentials_field(channel)],
            sender=raw[SENDER_FIELD[channel]],
            content_sid=raw.get("content_sid"),
            sender_name=raw.get("sender_name"),
            reply_to=raw.get("reply_to_email"),
        )

    def ai_settings(self, channel: str) -> dict[str, Any]:
        """``ai_config.openai_config.<channel>``: model and prompt settings."""
        settings = self.company_data_payload.ai_config.get("openai_config", {}).get(channel)
        return dict(settings or {})
