"""One AWS call's errors as the pipeline's: a code the service answers when it is busy or
failing (and retries will help) becomes the "unavailable" error, which Step Functions
retries; any other refusal becomes the "refused" error, which ends the video with its
reason. One mapper for Bedrock, Polly and MediaConvert, each naming its transient codes."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

T = TypeVar("T")


def mapped_call(
    what: str,
    call: Callable[[], T],
    *,
    transient: Collection[str],
    refused: type[Exception],
    unavailable: type[Exception],
) -> T:
    """``call()``; ``what`` names it in the error (``Polly SynthesizeSpeech``).

    Raises:
        ``unavailable``: a transient code, or no answer at all (after boto3's retries).
        ``refused``: any other error code.
    """
    try:
        return call()
    except ClientError as err:
        code = err.response["Error"]["Code"]
        message = f"{what}: {code}: {err.response['Error'].get('Message', '')}"
        if code in transient:
            raise unavailable(message) from err
        raise refused(message) from err
    except BotoCoreError as err:
        raise unavailable(f"{what}: {err}") from err
