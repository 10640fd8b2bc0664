"""The final video from MediaConvert (seed 002 §4.4): the clips joined, the narration laid
over them, one H.264 1080p MP4 with AAC audio, as YouTube recommends.

The clips (a few seconds each) are repeated in order until they cover the narration; each
input takes the narration from where the previous inputs end (an external audio file with a
negative offset), so it is heard once, end to end. Without clips (the fallback), the picture
is MediaConvert's generated video for the narration's length: the night still makes its
video.

The render is waited for with a task token (``.waitForTaskToken``): the job's completion
comes back as EventBridge's "MediaConvert Job State Change" event, through a queue, to
``finish_render``, which finds the video by the job's user metadata and gives the token
back with the result. The token is kept on the video's item, not in the job's metadata
(a token can be longer than MediaConvert lets metadata values be).
"""

from __future__ import annotations

import math
from typing import Any

from chalicelib.trends.exceptions import TrendsError
from chalicelib.trends.pricing import PRICES
from chalicelib.trends.service_errors import mapped_call
from shared.errors import TransientError

AUDIO_SELECTOR = "Narration"
NAME_MODIFIER = "-youtube"
# Narration read at about 150 words a minute, with room at the end rather than a cut word.
WORDS_PER_SECOND = 2.5
NARRATION_MARGIN = 1.1
_TRANSIENT = {"TooManyRequestsException", "InternalServerErrorException"}


class RenderRefusedError(TrendsError):
    """MediaConvert refused the job (its settings): not retried."""


class RenderUnavailableError(TrendsError, TransientError):
    """MediaConvert throttled or failed the call (retry)."""


def narration_seconds(text: str) -> float:
    return len(text.split()) / WORDS_PER_SECOND * NARRATION_MARGIN


def _inputs(clips: list[dict[str, Any]], narration_uri: str, seconds: float) -> list[Any]:
    """Clips repeated to cover ``seconds``; each with the narration from its start."""
    if not clips:
        return [
            {
                "VideoGenerator": {"Duration": int(seconds * 1000)},
                "AudioSelectors": {
                    AUDIO_SELECTOR: {
                        "ExternalAudioFileInput": narration_uri,
                        "DefaultSelection": "DEFAULT",
                    }
                },
            }
        ]
    inputs, offset_ms, n = [], 0, 0
    while offset_ms < seconds * 1000:
        clip = clips[n % len(clips)]
        inputs.append(
            {
                "FileInput": clip["uri"],
                "AudioSelectors": {
                    AUDIO_SELECTOR: {
                        "ExternalAudioFileInput": narration_uri,
                        "Offset": -offset_ms,
                        "DefaultSelection": "DEFAULT",
                    }
                },
            }
        )
        offset_ms += int(clip["seconds"]) * 1000
        n += 1
    return inputs


def job_settings(
    clips: list[dict[str, Any]], narration_uri: str, seconds: float, destination: str
) -> dict[str, Any]:
    """MediaConvert's ``Settings``: the inputs and one MP4 output for YouTube."""
    output = {
        "ContainerSettings": {
            "Container": "MP4",
            "Mp4Settings": {"MoovPlacement": "PROGRESSIVE_DOWNLOAD"},
        },
        "VideoDescription": {
            "Width": 1920,
            "Height": 1080,
            "ScalingBehavior": "DEFAULT",
            "CodecSettings": {
                "Codec": "H_264",
                "H264Settings": {
                    "RateControlMode": "QVBR",
                    "QvbrSettings": {"QvbrQualityLevel": 8},
                    "MaxBitrate": 8_000_000,
                    "CodecProfile": "HIGH",
                    "FramerateControl": "SPECIFIED",
                    "FramerateNumerator": 24,
                    "FramerateDenominator": 1,
                },
            },
        },
        "AudioDescriptions": [
            {
                "AudioSourceName": AUDIO_SELECTOR,
                "CodecSettings": {
                    "Codec": "AAC",
                    "AacSettings": {
                        "SampleRate": 48000,
                        "Bitrate": 192000,
                        "CodingMode": "CODING_MODE_2_0",
                    },
                },
            }
        ],
        "NameModifier": NAME_MODIFIER,
    }
    return {
        "Inputs": _inputs(clips, narration_uri, seconds),
        "OutputGroups": [
            {
                "Name": "File Group",
                "OutputGroupSettings": {
                    "Type": "FILE_GROUP_SETTINGS",
                    "FileGroupSettings": {"Destination": destination},
                },
                "Outputs": [output],
            }
        ],
    }


def start_render(
    mediaconvert: Any,
    *,
    role_arn: str,
    video_id: str,
    clips: list[dict[str, Any]],
    narration_uri: str,
    narration_text: str,
    bucket: str,
    metadata: dict[str, str],
) -> tuple[str, str]:
    """The job's id and the final video's ``s3://`` URI.

    Raises:
        RenderRefusedError, RenderUnavailableError.
    """
    seconds = narration_seconds(narration_text)
    destination = f"s3://{bucket}/videos/{video_id}/video"
    job = mapped_call(
        "MediaConvert CreateJob",
        lambda: mediaconvert.create_job(
            Role=role_arn,
            Settings=job_settings(clips, narration_uri, seconds, destination),
            UserMetadata={**metadata, "video_id": video_id},
            StatusUpdateInterval="SECONDS_60",
            ClientRequestToken=video_id,
        )["Job"],
        transient=_TRANSIENT,
        refused=RenderRefusedError,
        unavailable=RenderUnavailableError,
    )
    return str(job["Id"]), f"{destination}{NAME_MODIFIER}.mp4"


def render_cost(duration_ms: int) -> float:
    """MediaConvert bills whole minutes of output (HD)."""
    return math.ceil(duration_ms / 60_000) * PRICES["mediaconvert_hd_minute"]


def job_outcome(detail: dict[str, Any]) -> dict[str, Any]:
    """What a "MediaConvert Job State Change" event says: ``status`` COMPLETE (with
    ``duration_ms``) or ERROR (with ``error``); None for the other statuses."""
    status = detail.get("status")
    if status == "COMPLETE":
        outputs = [
            output
            for group in detail.get("outputGroupDetails") or []
            for output in group.get("outputDetails") or []
        ]
        duration = int(outputs[0].get("durationInMs", 0)) if outputs else 0
        return {"status": "COMPLETE", "duration_ms": duration}
    if status in ("ERROR", "CANCELED"):
        code = detail.get("errorCode", "")
        return {"status": status, "error": f"{code} {detail.get('errorMessage', status)}".strip()}
    return {"status": status}
