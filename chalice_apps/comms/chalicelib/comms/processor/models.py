"""The context object as the processors read it (the router writes it: router/context.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Loose(BaseModel):
    # The router passes through fields the contract does not name; keep them, ignore them.
    model_config = ConfigDict(extra="allow")


class Recipient(_Loose):
    recipient_first_name: str | None = None
    recipient_last_name: str | None = None
    recipient_tel: str | None = None
    recipient_email: str | None = None


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
    credentials, plus the approved template for WhatsApp."""

    credentials_id: str
    sender: str
    content_sid: str | None = None


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
        (``company_whatsapp_number`` and ``whatsapp_credentials_id`` for WhatsApp).

        Raises:
            ValueError: the company config has no usable settings for the channel.
        """
        raw = self.company_data_payload.channel_config.get(channel) or {}
        credentials = raw.get(f"{channel}_credentials_id")
        sender = raw.get(f"company_{channel}_number")
        if not credentials or not sender:
            raise ValueError(
                f"channel_config.{channel} needs {channel}_credentials_id and "
                f"company_{channel}_number"
            )
        return ChannelConfig(
            credentials_id=credentials, sender=sender, content_sid=raw.get("content_sid")
        )

    def ai_settings(self, channel: str) -> dict[str, Any]:
        """``ai_config.openai_config.<channel>``: model and prompt settings."""
        settings = self.company_data_payload.ai_config.get("openai_config", {}).get(channel)
        return dict(settings or {})
