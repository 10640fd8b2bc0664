"""Request bodies and the stack's limits, validated with pydantic. The limits are written by
the Pulumi program into the functions' environment (``env.UPLOAD_LIMITS``,
``env.QUERY_LIMITS``) from the stack's ``csvchat`` settings."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.csvchat.exceptions import InvalidRequestError
from shared.errors import FieldProblem
from shared.json_body import parse_json_object

MIB = 1 << 20
# S3's own bounds on a multipart upload.
MIN_PART_BYTES = 5 * MIB
MAX_PARTS = 10_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UploadRequest(_Body):
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=0)
    content_type: str = Field(min_length=1, max_length=100)


class CompletedPart(_Body):
    part_number: int = Field(ge=1, le=MAX_PARTS)
    etag: str = Field(min_length=1, max_length=200)


class CompleteRequest(_Body):
    parts: list[CompletedPart] = Field(min_length=1, max_length=MAX_PARTS)


class QueryRequest(_Body):
    sql: str = Field(min_length=1, max_length=20_000)


class ChatRequest(_Body):
    dataset_id: str = Field(min_length=1, max_length=64)


class MessageRequest(_Body):
    question: str = Field(min_length=1, max_length=2000)


class Preferences(_Body):
    """A user's choices (seed §4); stored whole, so a PUT sends both."""

    row_limit: int = Field(default=100, ge=1, le=1000)
    show_sql: bool = True


class ChatLimits(BaseModel):
    """The stack's chat settings, written into the API's environment (``env.CHAT_LIMITS``)."""

    model_config = ConfigDict(frozen=True)

    model_id: str = Field(min_length=1)
    cache_seconds: int = Field(ge=0)
    preview_rows: int = Field(ge=1, le=1000)


class UploadLimits(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_bytes: int
    multipart_threshold_bytes: int
    part_size_bytes: int = Field(ge=MIN_PART_BYTES)
    content_types: tuple[str, ...]
    extensions: tuple[str, ...]
    quota_datasets: int
    quota_bytes: int
    url_seconds: int


class QueryLimits(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_rows: int = Field(ge=1, le=1000)
    timeout_seconds: float = Field(gt=0)


BodyT = TypeVar("BodyT", bound=_Body)
_REASONS = {"extra_forbidden": "unknown field", "missing": "required"}


def parse_body(model: type[BodyT], raw: bytes | str | None) -> BodyT:
    """The body as ``model``.

    Raises:
        MalformedJsonError, NestingTooDeepError: not a JSON object.
        InvalidRequestError: every bad field, each with its reason.
    """
    body: dict[str, Any] = parse_json_object(raw)
    try:
        return model.model_validate(body)
    except ValidationError as err:
        raise InvalidRequestError(
            [
                FieldProblem(
                    ".".join(str(p) for p in e["loc"]) or "body",
                    _REASONS.get(e["type"], e["msg"]),
                )
                for e in err.errors(include_url=False)
            ]
        ) from None
