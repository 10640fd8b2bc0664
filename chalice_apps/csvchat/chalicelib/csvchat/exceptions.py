"""Why csvchat refused a request. Each carries its HTTP status and error_code (``ApiError``),
so the one mapper (``shared/api.py``) renders them by type. Another user's dataset is
``DatasetNotFoundError`` too: an id leaks nothing (specs/csvchat.md)."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import ApiError, FieldProblem


class InvalidRequestError(ApiError):
    status = 400
    error_code = "VALIDATION_ERROR"

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        summary = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        super().__init__(f"invalid request: {summary}", problems=problems)


class UnauthorizedError(ApiError):
    """No identity from the authorizer, or a token of another app client."""

    status = 401
    error_code = "UNAUTHORIZED"

    def __init__(self) -> None:
        super().__init__("sign in again: the identity token is missing or not for this app")


class DatasetNotFoundError(ApiError):
    status = 404
    error_code = "DATASET_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("no such dataset")


class UnsupportedFileError(ApiError):
    """A name or content type that is not CSV or TSV text."""

    status = 400
    error_code = "UNSUPPORTED_FILE_TYPE"


class FileTooLargeError(ApiError):
    status = 413
    error_code = "FILE_TOO_LARGE"


class QuotaExceededError(ApiError):
    """The user's datasets or bytes would pass the stack's per-user quota."""

    status = 409
    error_code = "QUOTA_EXCEEDED"


class UploadStateError(ApiError):
    """Completing an upload that is not a multipart one still in progress."""

    status = 409
    error_code = "UPLOAD_NOT_IN_PROGRESS"


class InvalidPartsError(ApiError):
    """S3 refused the part list (a part missing, an ETag that does not match)."""

    status = 400
    error_code = "INVALID_PARTS"


class DatasetNotReadyError(ApiError):
    status = 409
    error_code = "DATASET_NOT_READY"


class QueryRefusedError(ApiError):
    """SQL that is not one SELECT over the dataset's own table: nothing ran."""

    status = 400
    error_code = "QUERY_REFUSED"


class QueryFailedError(ApiError):
    """Athena ran the query and it failed (the reason is about the SQL, names removed)."""

    status = 400
    error_code = "QUERY_FAILED"


class QueryTimeoutError(ApiError):
    """The query outlasted the route's wait; it was stopped."""

    status = 503
    error_code = "QUERY_TIMEOUT"


class ChatNotFoundError(ApiError):
    status = 404
    error_code = "CHAT_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("no such chat")


class ModelBusyError(ApiError):
    """Bedrock throttled the question after retries: ask again in a moment."""

    status = 429
    error_code = "MODEL_BUSY"
    retry_after = 2


class ModelUnavailableError(ApiError):
    """Bedrock failed or timed out, or answered without SQL."""

    status = 503
    error_code = "MODEL_UNAVAILABLE"
    retry_after = 5
