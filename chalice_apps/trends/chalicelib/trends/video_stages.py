"""What each task of the video pipeline's state machine does, one plain function per state,
given its dependencies (``VideoDeps``) and the state's input; each returns the state's
result (the machine puts it under the state's ResultPath).

Every stage first records itself on the video's item (``stage``), so the failure handler
names the stage a Catch came from, and records its output and cost when done
(``VideoStore.record_stage``: a retried stage never counts twice). Stage timings and
failures are EMF metrics (``StageDuration``, ``StageFailures`` by ``stage``).

Errors: anything transient (``shared.errors.TransientError``) reaches Step Functions as
``RetryableStageError``, which the machine's Retry names; everything else ends the video
through the Catch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib.trends import clips as clip_jobs
from chalicelib.trends.configuration import TrendsConfig
from chalicelib.trends.exceptions import TrendsError
from chalicelib.trends.narration import narrate
from chalicelib.trends.pipeline_config import PipelineConfig
from chalicelib.trends.render import job_outcome, render_cost, start_render
from chalicelib.trends.video_failures import mark_failed
from chalicelib.trends.video_plan import Rankings, plan_night
from chalicelib.trends.video_records import PUBLISHED, VideoStore
from chalicelib.trends.video_script import VideoScript, write_script
from shared.errors import TransientError

# Seconds a stage leaves itself before the function's timeout.
TIMEOUT_MARGIN_SECONDS = 20


class RetryableStageError(TrendsError):
    """A transient failure of a stage: the state machine's Retry takes it."""


class RenderFailedError(TrendsError):
    """MediaConvert ended the job in error (the cause says why): the video fails."""


@dataclass(frozen=True)
class VideoDeps:
    config: PipelineConfig
    store: VideoStore
    bucket: str
    s3: Any
    bedrock: Any
    polly: Any
    mediaconvert: Any
    mediaconvert_role_arn: str
    sfn: Any
    sns: Any
    secrets: Any
    alerts_topic_arn: str
    metrics: Metrics
    now: Callable[[], datetime]


def stage_metric(metrics: Metrics, name: str, unit: MetricUnit, value: float, stage: str) -> None:
    """A metric with the ``stage`` dimension, written on its own (the function's other
    metrics keep only ``service``)."""
    with single_metric(
        name=name,
        unit=unit,
        value=value,
        namespace=metrics.namespace,
        default_dimensions={"service": str(metrics.service)},
    ) as metric:
        metric.add_dimension("stage", stage)


@contextmanager
def stage(metrics: Metrics, name: str) -> Iterator[None]:
    """Time a stage; count its failure; hand transient ones to the machine's Retry."""
    started = time.monotonic()
    try:
        yield
    except TransientError as err:
        stage_metric(metrics, "StageFailures", MetricUnit.Count, 1, name)
        raise RetryableStageError(str(err)) from err
    except Exception:
        stage_metric(metrics, "StageFailures", MetricUnit.Count, 1, name)
        raise
    finally:
        elapsed = (time.monotonic() - started) * 1000
        stage_metric(metrics, "StageDuration", MetricUnit.Milliseconds, elapsed, name)


def plan(
    deps: VideoDeps, trends_config: TrendsConfig, rankings: Rankings, event: dict[str, Any]
) -> dict[str, Any]:
    """The night's videos within the budget (``video_plan``)."""
    with stage(deps.metrics, "plan"):
        moment = _scheduled_time(event) or deps.now()
        planned = plan_night(
            trends_config,
            rankings,
            deps.store,
            budget_usd=deps.config.monthly_budget_usd,
            videos_per_night=deps.config.videos_per_night,
            moment=moment,
        )
    deps.metrics.add_metric("MonthSpendUsd", MetricUnit.Count, planned["budget"]["spent_usd"])
    deps.metrics.add_metric("VideosPlanned", MetricUnit.Count, len(planned["videos"]))
    return planned


def _scheduled_time(event: dict[str, Any]) -> datetime | None:
    """The schedule's time (the same on a retried start), when a schedule started us."""
    value = event.get("scheduled_time")
    if not value or str(value).startswith("<"):
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _script_key(video_id: str) -> str:
    return f"work/{video_id}/script.json"


def load_script(deps: VideoDeps, video_id: str) -> VideoScript:
    """The script WriteScript kept in S3."""
    body = deps.s3.get_object(Bucket=deps.bucket, Key=_script_key(video_id))["Body"].read()
    return VideoScript.model_validate_json(body)


def script(deps: VideoDeps, video: dict[str, Any]) -> dict[str, Any]:
    """The script, to S3; the title and scenes for the next states."""
    video_id = video["video_id"]
    deps.store.update(video_id, deps.now(), stage="script")
    with stage(deps.metrics, "script"):
        written, cost = write_script(
            deps.bedrock, deps.config.text_model_id, video, deps.config.scene_seconds
        )
        deps.s3.put_object(
            Bucket=deps.bucket,
            Key=_script_key(video_id),
            Body=written.model_dump_json().encode(),
            ContentType="application/json",
        )
        deps.store.record_stage(
            video_id, "script", cost, deps.now(), title=written.title, status="scripted"
        )
    return {
        "title": written.title,
        "scenes": [scene.model_dump() for scene in written.scenes],
        "uri": f"s3://{deps.bucket}/{_script_key(video_id)}",
    }


def narration(deps: VideoDeps, video: dict[str, Any], deadline: float) -> dict[str, Any]:
    video_id = video["video_id"]
    deps.store.update(video_id, deps.now(), stage="narration")
    with stage(deps.metrics, "narration"):
        text = load_script(deps, video_id).narration
        uri, cost = narrate(
            deps.polly,
            deps.s3,
            text=text,
            voice=video["voice"],
            engine=video["voice_engine"],
            bucket=deps.bucket,
            key=f"work/{video_id}/narration.mp3",
            sync_limit=deps.config.sync_speech_characters,
            deadline=deadline,
        )
        deps.store.record_stage(video_id, "narration", cost, deps.now(), narration_uri=uri)
    return {"uri": uri, "characters": len(text)}


def start_clips(deps: VideoDeps, video: dict[str, Any]) -> dict[str, Any]:
    video_id = video["video_id"]
    deps.store.update(video_id, deps.now(), stage="clips")
    with stage(deps.metrics, "clips"):
        scenes = _footage(video)
        return clip_jobs.start_clips(
            deps.bedrock,
            model_id=deps.config.video_model_id,
            video_id=video_id,
            scenes=scenes,
            resolution=video["resolution"],
            bucket=deps.bucket,
        )


def _footage(video: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenes worth generating: as many as the video's generated seconds pay for (at
    least one); the render repeats them under the rest of the narration."""
    scenes = video["script"]["scenes"]
    wanted, seconds = int(video["generated_seconds"]), 0
    chosen: list[dict[str, Any]] = []
    for scene in scenes:
        if chosen and seconds >= wanted:
            break
        chosen.append(scene)
        seconds += int(scene["seconds"])
    return chosen


def check_clips(deps: VideoDeps, video: dict[str, Any]) -> dict[str, Any]:
    video_id = video["video_id"]
    with stage(deps.metrics, "clips"):
        checked, cost = clip_jobs.check_clips(
            deps.bedrock,
            video["clips"],
            model_id=deps.config.video_model_id,
            video_id=video_id,
            scenes=_footage(video),
            resolution=video["resolution"],
            bucket=deps.bucket,
            attempts=deps.config.clip_attempts,
            poll_limit=deps.config.clip_poll_limit,
        )
        if cost:
            done = [job["scene"] for job in checked["jobs"] if job.get("uri")]
            deps.store.record_stage(
                video_id, f"clips-{len(done)}", cost, deps.now(), clips_done=len(done)
            )
    if checked["status"] == clip_jobs.FAILED:
        deps.metrics.add_metric("FallbackVideos", MetricUnit.Count, 1)
        deps.store.update(video_id, deps.now(), fallback=checked["reason"])
    return checked


def render(deps: VideoDeps, video: dict[str, Any], token: str) -> dict[str, Any]:
    """Start the MediaConvert job; the token waits on the video's item for its event."""
    video_id = video["video_id"]
    deps.store.update(video_id, deps.now(), stage="render")
    with stage(deps.metrics, "render"):
        clips = video["clips"]
        usable = [job for job in clips.get("jobs") or [] if job.get("uri")]
        if clips.get("status") != clip_jobs.COMPLETED:
            usable = []
        job_id, final_uri = start_render(
            deps.mediaconvert,
            role_arn=deps.mediaconvert_role_arn,
            video_id=video_id,
            clips=usable,
            narration_uri=video["narration"]["uri"],
            narration_text=load_script(deps, video_id).narration,
            bucket=deps.bucket,
            metadata={"system": "trends", "trend": str(video["keyword"])[:200]},
        )
        deps.store.update(
            video_id,
            deps.now(),
            status="rendering",
            render_job_id=job_id,
            render_token=token,
            final_uri=final_uri,
        )
    return {"job_id": job_id}


def finish_render(deps: VideoDeps, detail: dict[str, Any]) -> str | None:
    """A job's state change: the waiting render's token given back with the result. Jobs
    that are not ours, and statuses other than the end, are let go (None)."""
    video_id = (detail.get("userMetadata") or {}).get("video_id")
    outcome = job_outcome(detail)
    if not video_id or outcome["status"] not in ("COMPLETE", "ERROR", "CANCELED"):
        return None
    video = deps.store.get(video_id)
    if (
        video is None
        or not video.get("render_token")
        or video.get("render_job_id") != detail.get("jobId")
    ):
        return None
    token = video["render_token"]
    if outcome["status"] == "COMPLETE":
        deps.store.record_stage(
            video_id,
            "render",
            render_cost(outcome["duration_ms"]),
            deps.now(),
            status="rendered",
            duration_ms=outcome["duration_ms"],
        )
        result = {"uri": video["final_uri"], "duration_ms": outcome["duration_ms"]}
        deps.sfn.send_task_success(taskToken=token, output=json.dumps(result))
    else:
        # Kept on the video too: the failure handler reads the cause there when the
        # execution's error lost it.
        deps.store.update(video_id, deps.now(), render_error=outcome["error"])
        stage_metric(deps.metrics, "StageFailures", MetricUnit.Count, 1, "render")
        deps.sfn.send_task_failure(
            taskToken=token, error=RenderFailedError.__name__, cause=outcome["error"][:32_000]
        )
    return str(video_id)


def fail(deps: VideoDeps, video: dict[str, Any]) -> dict[str, Any]:
    """The Catch's end of a video: marked failed, the alerts topic told."""
    record = deps.store.get(video["video_id"]) or {}
    failed_stage = str(record.get("stage") or "plan")
    error = dict(video.get("error") or {})
    if not error.get("Cause") and failed_stage == "render" and record.get("render_error"):
        error["Cause"] = record["render_error"]
    deps.metrics.add_metric("VideosFailed", MetricUnit.Count, 1)
    try:
        return mark_failed(
            deps.store, deps.sns, deps.alerts_topic_arn, video, failed_stage, error, deps.now()
        )
    except TransientError as err:
        raise RetryableStageError(str(err)) from err


def published(deps: VideoDeps, video: dict[str, Any], youtube_id: str) -> dict[str, Any]:
    """The video recorded as published, with its total cost."""
    video_id = video["video_id"]
    deps.store.update(video_id, deps.now(), status=PUBLISHED, youtube_id=youtube_id)
    record = deps.store.get(video_id) or {}
    total = sum(float(v) for v in (record.get("cost_usd") or {}).values())
    deps.metrics.add_metric("VideosPublished", MetricUnit.Count, 1)
    deps.metrics.add_metric("VideoCostUsd", MetricUnit.Count, total)
    return {"video_id": video_id, "youtube_id": youtube_id, "cost_usd": round(total, 4)}


def report(deps: VideoDeps, night: dict[str, Any]) -> dict[str, Any]:
    """The night in numbers (the execution's output, and the log line an operator reads)."""
    results = night.get("results") or []
    made = [r for r in results if r.get("youtube_id")]
    failed = [r for r in results if r.get("status") == "failed"]
    return {
        "night": night["night"],
        "published": len(made),
        "failed": len(failed),
        "cost_usd": round(sum(float(r.get("cost_usd", 0)) for r in made), 4),
        "budget": night.get("budget"),
        "videos": [{"video_id": r["video_id"], "youtube_id": r.get("youtube_id")} for r in made]
        + [{"video_id": r["video_id"], "failed": r.get("error")} for r in failed],
    }
