"""What can go wrong in patches, by what the caller should do about it."""

from __future__ import annotations

from shared.errors import ApiError, FleetError, TransientError


class PatchesError(FleetError):
    """Base of patches' errors."""


class ServiceError(PatchesError):
    """Base of the outside services' errors; ``service`` is ``patchwork`` or ``lore``."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service


class ServiceUnavailableError(ServiceError, TransientError):
    """5xx, 429 or network failures that outlasted the retries: counts against the breaker;
    the run fails and is tried again later."""


class RequestRejectedError(ServiceError):
    """A 4xx: our request is wrong (an unknown project); retrying will not help."""


class ThreadNotFoundError(ServiceError):
    """lore has no thread for this Message-ID (yet: lore can lag Patchwork by minutes)."""


class CircuitOpenError(PatchesError):
    """The service's breaker is open: no call was made. Runs stop cleanly on it."""

    def __init__(self, service: str, retry_after_seconds: int) -> None:
        super().__init__(f"the {service} circuit breaker is open (retry in {retry_after_seconds}s)")
        self.service = service
        self.retry_after_seconds = retry_after_seconds


class DatabaseError(PatchesError, TransientError):
    """DynamoDB or S3 failed after boto3's retries (seed 001 §1.4)."""


class QueueError(PatchesError, TransientError):
    """SQS refused work to queue, after boto3's retries."""


class ItemNotFoundError(PatchesError):
    """The item asked for does not exist (seed 001 §1.4)."""


class RefreshFailedError(PatchesError):
    """Some projects or threads could not be refreshed; raised after the others were, so the
    function fails visibly (Errors alarm) and EventBridge's retries run it again."""


class PatchNotFoundError(ApiError):
    """``GET /patches/{id}`` of a patch we do not hold."""

    status = 404
    error_code = "PATCH_NOT_FOUND"

    def __init__(self, patch_id: str) -> None:
        super().__init__(f"no patch {patch_id}")
