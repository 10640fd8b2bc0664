"""The request body of POST /initiate-conversation (../shared/specs/comms.md) and the stored
company config it is checked against."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    UUID4,
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
)

Channel = Literal["whatsapp", "sms", "email"]

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def _e164(value: str) -> str:
    if not _E164.match(value):
        raise ValueError("must be an E.164 phone number: '+', country code, 8 to 15 digits")
    return value


def _consented(value: bool) -> bool:
    if not value:
        raise ValueError("must be true: the recipient has not consented to be contacted")
    return value


E164Phone = Annotated[str, AfterValidator(_e164)]
Identifier = Annotated[str, Field(min_length=1, max_length=128)]


class _Body(BaseModel):
    # Clients may send more than the contract names; it is passed through, never rejected.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)


class CompanyRef(_Body):
    company_id: Identifier
    project_id: Identifier


class Recipient(_Body):
    recipient_first_name: str | None = Field(default=None, max_length=100)
    recipient_last_name: str | None = Field(default=None, max_length=100)
    recipient_tel: E164Phone | None = None
    recipient_email: EmailStr | None = None
    comms_consent: Annotated[StrictBool, AfterValidator(_consented)]


class RequestMeta(_Body):
    request_id: UUID4
    channel_method: Channel
    initial_request_timestamp: AwareDatetime


class InitiateConversationRequest(_Body):
    company_data: CompanyRef
    recipient_data: Recipient
    project_data: dict[str, Any] = Field(default_factory=dict)
    request_data: RequestMeta


class CompanyConfig(BaseModel):
    """The fields of a company-data item the router decides on; the rest rides along as is."""

    model_config = ConfigDict(extra="allow")

    company_id: str
    project_id: str
    project_status: str
    allowed_channels: list[str]
    channel_config: dict[str, Any] = Field(default_factory=dict)
