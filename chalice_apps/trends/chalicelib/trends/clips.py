"""A video's clips from Bedrock's text-to-video model (seed 002 §4.3): one asynchronous job
per scene (StartAsyncInvoke), checked by the state machine's Wait/CheckClips loop.

The request body is Luma Ray2's (``luma.ray-v2:0``; Nova Reel is retired): one module knows
the model's shape, the model id is a setting. A failed job is started again (a new
invocation, its own client request token) until ``attempts`` are spent; then the clips are
``Failed`` and the state machine falls back to narration over a plain picture, so the night
still produces the video.

Each scene's job writes under ``work/<video>/clips/<scene>/``; Bedrock puts the MP4 in a
folder per invocation, ``<s3Uri>/<invocation id>/output.mp4``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from chalicelib.trends.exceptions import TrendsError
from chalicelib.trends.pricing import PRICES
from chalicelib.trends.service_errors import mapped_call
from shared.errors import TransientError

IN_PROGRESS, COMPLETED, FAILED = "InProgress", "Completed", "Failed"
_TRANSIENT = {"ThrottlingException", "ServiceUnavailableException", "InternalServerException"}


class ClipRequestRefusedError(TrendsError):
    """Bedrock refused a clip request (the model id, the body): not retried."""


class ClipServiceUnavailableError(TrendsError, TransientError):
    """Bedrock throttled or failed the call itself (retry)."""


def luma_body(prompt: str, seconds: int, resolution: str) -> dict[str, Any]:
    """Luma Ray2's request: 16:9 (YouTube's shape), 5 s or 9 s."""
    return {
        "prompt": prompt[:5000],
        "aspect_ratio": "16:9",
        "duration": f"{seconds}s",
        "resolution": resolution,
        "loop": False,
    }


def _call(what: str, call: Callable[[], Any]) -> Any:
    return mapped_call(
        f"Bedrock {what}",
        call,
        transient=_TRANSIENT,
        refused=ClipRequestRefusedError,
        unavailable=ClipServiceUnavailableError,
    )


def start_clip(
    bedrock: Any,
    *,
    model_id: str,
    prompt: str,
    seconds: int,
    resolution: str,
    output_uri: str,
    token: str,
) -> str:
    """One scene's job; its invocation ARN. The same ``token`` gives back the same job."""
    answer = _call(
        "StartAsyncInvoke",
        lambda: bedrock.start_async_invoke(
            modelId=model_id,
            modelInput=luma_body(prompt, seconds, resolution),
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}},
            clientRequestToken=token,
        ),
    )
    return str(answer["invocationArn"])


def start_clips(
    bedrock: Any,
    *,
    model_id: str,
    video_id: str,
    scenes: list[dict[str, Any]],
    resolution: str,
    bucket: str,
) -> dict[str, Any]:
    """Every scene's first job: the clip state CheckClips takes."""
    jobs = []
    for n, scene in enumerate(scenes):
        output = f"s3://{bucket}/work/{video_id}/clips/{n}"
        jobs.append(
            {
                "scene": n,
                "seconds": scene["seconds"],
                "attempt": 1,
                "invocation": start_clip(
                    bedrock,
                    model_id=model_id,
                    prompt=scene["prompt"],
                    seconds=scene["seconds"],
                    resolution=resolution,
                    output_uri=output,
                    token=f"{video_id}-{n}-1",
                ),
            }
        )
    return {"status": IN_PROGRESS, "polls": 0, "jobs": jobs}


def check_clips(
    bedrock: Any,
    clips: dict[str, Any],
    *,
    model_id: str,
    video_id: str,
    scenes: list[dict[str, Any]],
    resolution: str,
    bucket: str,
    attempts: int,
    poll_limit: int,
) -> tuple[dict[str, Any], float]:
    """The clips' next state and the cost of the jobs that completed in this look.

    ``Completed`` gives each scene's ``uri``; a failed job is started again while attempts
    remain; ``Failed`` (with the ``reason``) once one scene has none left or the looks are
    spent."""
    polls = int(clips["polls"]) + 1
    jobs, cost, failures = [], 0.0, []
    for job in clips["jobs"]:
        if job.get("uri"):
            jobs.append(job)
            continue
        answer = _call(
            "GetAsyncInvoke", partial(bedrock.get_async_invoke, invocationArn=job["invocation"])
        )
        status = answer["status"]
        if status == COMPLETED:
            base = answer["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"].rstrip("/")
            invocation_id = job["invocation"].rsplit("/", 1)[-1]
            cost += job["seconds"] * PRICES[f"bedrock_video_second_{resolution}"]
            jobs.append({**job, "uri": f"{base}/{invocation_id}/output.mp4"})
        elif status == FAILED and job["attempt"] < attempts:
            attempt = job["attempt"] + 1
            n = job["scene"]
            invocation = start_clip(
                bedrock,
                model_id=model_id,
                prompt=scenes[n]["prompt"],
                seconds=job["seconds"],
                resolution=resolution,
                output_uri=f"s3://{bucket}/work/{video_id}/clips/{n}",
                token=f"{video_id}-{n}-{attempt}",
            )
            jobs.append({**job, "attempt": attempt, "invocation": invocation})
        elif status == FAILED:
            failures.append(f"scene {job['scene']}: {answer.get('failureMessage', 'failed')}")
            jobs.append(job)
        else:
            jobs.append(job)
    if failures:
        return {"status": FAILED, "polls": polls, "jobs": jobs, "reason": "; ".join(failures)}, cost
    if all(job.get("uri") for job in jobs):
        return {"status": COMPLETED, "polls": polls, "jobs": jobs}, cost
    if polls >= poll_limit:
        reason = f"clips still running after {polls} looks"
        return {"status": FAILED, "polls": polls, "jobs": jobs, "reason": reason}, cost
    return {"status": IN_PROGRESS, "polls": polls, "jobs": jobs}, cost
