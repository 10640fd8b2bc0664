"""A video the pipeline could not make: marked failed with its stage and cause, and told on
the alerts topic (seed 002 §5.2, §7.2), so a person learns of it the morning after.

The state machine's Catch hands over the error as Step Functions writes it (``Error``,
``Cause``; a Lambda's cause is its error document, JSON with ``errorMessage``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.trends.video_records import FAILED, VideoStore
from shared.errors import TransientError

CAUSE_CHARACTERS = 1000


def failure_of(error: dict[str, Any]) -> tuple[str, str]:
    """``(error, cause)`` from a Catch's error output, the cause readable."""
    name = str(error.get("Error") or "Unknown")
    cause = str(error.get("Cause") or "")
    try:
        document = json.loads(cause)
    except ValueError:
        document = None
    if isinstance(document, dict) and "errorMessage" in document:
        cause = str(document["errorMessage"])
    return name, cause[:CAUSE_CHARACTERS]


def mark_failed(
    store: VideoStore,
    sns: Any,
    topic_arn: str,
    video: dict[str, Any],
    stage: str,
    error: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Mark the video failed and notify; what the Map's iteration ends with.

    Raises:
        TransientError: the table or SNS could not be written (the state machine retries).
    """
    name, cause = failure_of(error)
    failure = {"stage": stage, "error": name, "cause": cause}
    store.update(video["video_id"], now, status=FAILED, failure=failure)
    subject = f"trends: video {video['video_id']} failed at {stage}"[:100]
    message = (
        f"The video about {video.get('keyword', '?')} ({video.get('topic', '?')}) for the "
        f"night of {video.get('night', '?')} failed at its {stage} stage.\n\n"
        f"{name}: {cause}\n\nSee docs/runbooks/trends.md, 'Video pipeline'."
    )
    try:
        sns.publish(TopicArn=topic_arn, Subject=subject, Message=message)
    except (ClientError, BotoCoreError) as err:
        raise TransientError(f"notifying the failure of {video['video_id']}: {err}") from err
    return {"video_id": video["video_id"], "status": FAILED, **failure}
