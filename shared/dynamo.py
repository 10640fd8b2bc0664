"""DynamoDB's errors mapped to ours, in one place.

Every repository wraps its boto3 calls in ``aws_errors`` (a ``with`` block or a method
decorator), so what failed is said once and each area raises its own error type
(``TransientError`` unless it names another); a failed condition (a conditional write's,
or one inside a transaction) is told apart by ``condition_failed``, never by message text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.errors import TransientError

CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"
# A transaction's cancellation reason for an item whose condition did not hold.
REASON_CONDITION_FAILED = "ConditionalCheckFailed"


def condition_failed(err: ClientError) -> bool:
    """Whether ``err`` is a condition that did not hold: a conditional write's, or one of a
    cancelled transaction's items' (any other cancellation reason is a failure)."""
    response: dict[str, Any] = dict(err.response)
    code = response.get("Error", {}).get("Code")
    if code == CONDITION_FAILED:
        return True
    reasons = response.get("CancellationReasons") or []
    return code == TRANSACTION_CANCELED and any(
        r.get("Code") == REASON_CONDITION_FAILED for r in reasons
    )


@contextmanager
def aws_errors(
    what: str,
    error: Callable[[str], Exception] = TransientError,
    on_condition: Callable[[], Exception] | None = None,
) -> Iterator[None]:
    """Raise any boto3 failure in the block (after boto3's own retries) as ``error``
    saying ``what`` failed, with the cause chained; with ``on_condition``, a failed
    condition raises what it returns instead (``ConfigConflictError``...).

    Usable as ``with aws_errors("reading a patch"): ...`` or as a decorator.
    """
    try:
        yield
    except ClientError as err:
        if on_condition is not None and condition_failed(err):
            raise on_condition() from err
        raise error(f"{what} failed: {err}") from err
    except BotoCoreError as err:
        raise error(f"{what} failed: {err}") from err


def conditional_write(
    write: Callable[[], object], what: str, error: Callable[[str], Exception] = TransientError
) -> bool:
    """Run one conditional write (PutItem, UpdateItem, DeleteItem or a transaction); False
    when its condition did not hold (the item exists, the state moved on), True when it
    was written.

    Raises:
        ``error`` (TransientError): any other failure after boto3's retries, saying
            ``what`` failed.
    """
    with aws_errors(what, error):
        try:
            write()
        except ClientError as err:
            if condition_failed(err):
                return False
            raise
    return True
