"""DynamoDB's errors mapped to ours, in one place."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from shared.errors import TransientError


def conditional_write(write: Callable[[], object], what: str) -> bool:
    """Run one conditional PutItem/UpdateItem; False when its condition did not hold (the
    item exists, the state moved on), True when it was written.

    Raises:
        TransientError: any other failure after boto3's retries, saying ``what`` failed.
    """
    try:
        write()
    except ClientError as err:
        if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise TransientError(f"{what} failed: {err}") from err
    except BotoCoreError as err:
        raise TransientError(f"{what} failed: {err}") from err
    return True
