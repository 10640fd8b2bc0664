"""A video's narration from Polly (seed 002 §10.2), in the topic's voice and engine, to S3.

Up to Polly's synchronous limit the speech is synthesised in the call and written to S3;
longer narration goes through a speech synthesis task, which writes to S3 itself, and is
waited for here: a task takes seconds to a couple of minutes, well inside the function's
timeout, and a Wait loop in the state machine would cost a transition per look.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from chalicelib.trends.exceptions import TrendsError
from chalicelib.trends.pricing import PRICES
from chalicelib.trends.service_errors import mapped_call
from shared.errors import TransientError

_TRANSIENT = {"ThrottlingException", "ServiceFailureException"}
TASK_POLL_SECONDS = 2.0


class NarrationFailedError(TrendsError):
    """Polly refused the text or its task failed (the reason says why): not retried."""


class SpeechUnavailableError(TrendsError, TransientError):
    """Polly throttled, failed, or the task is still running at the deadline (retry)."""


def _call(what: str, call: Callable[[], Any]) -> Any:
    return mapped_call(
        f"Polly {what}",
        call,
        transient=_TRANSIENT,
        refused=NarrationFailedError,
        unavailable=SpeechUnavailableError,
    )


def narrate(
    polly: Any,
    s3: Any,
    *,
    text: str,
    voice: str,
    engine: str,
    bucket: str,
    key: str,
    sync_limit: int,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, float]:
    """The narration's ``s3://`` URI and its cost. ``deadline`` is a ``clock()`` value.

    Raises:
        NarrationFailedError, SpeechUnavailableError.
    """
    cost = len(text) * PRICES[f"polly_character_{engine}"]
    speech = {"Text": text, "VoiceId": voice, "Engine": engine, "OutputFormat": "mp3"}
    if len(text) <= sync_limit and engine != "long-form":
        answer = _call("SynthesizeSpeech", lambda: polly.synthesize_speech(**speech))
        body = answer["AudioStream"].read()
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="audio/mpeg")
        return f"s3://{bucket}/{key}", cost
    prefix = key.rsplit("/", 1)[0] + "/narration-task"
    task = _call(
        "StartSpeechSynthesisTask",
        lambda: polly.start_speech_synthesis_task(
            **speech, OutputS3BucketName=bucket, OutputS3KeyPrefix=prefix
        ),
    )["SynthesisTask"]
    while task["TaskStatus"] in ("scheduled", "inProgress"):
        if clock() > deadline:
            raise SpeechUnavailableError(f"Polly task {task['TaskId']} still {task['TaskStatus']}")
        sleep(TASK_POLL_SECONDS)
        task_id = task["TaskId"]
        task = _call(
            "GetSpeechSynthesisTask",
            partial(polly.get_speech_synthesis_task, TaskId=task_id),
        )["SynthesisTask"]
    if task["TaskStatus"] != "completed":
        raise NarrationFailedError(
            f"Polly task {task['TaskId']} {task['TaskStatus']}: {task.get('TaskStatusReason', '')}"
        )
    return _output_uri(task["OutputUri"], bucket), cost


def _output_uri(output: str, bucket: str) -> str:
    """Polly names the output as an HTTPS URL (``https://s3.<region>.amazonaws.com/<bucket>/
    <key>``); MediaConvert reads ``s3://`` URIs."""
    marker = f"/{bucket}/"
    if output.startswith("s3://"):
        return output
    return f"s3://{bucket}/{output.split(marker, 1)[1]}"
