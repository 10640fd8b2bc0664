"""The video pipeline's state machine (seed 002 §5), written as a Python dict and serialised
to Amazon States Language by the program: the structure is code (checked by the Pulumi mock
tests, state by state), never a JSON template with strings spliced in.

Plan -> BudgetGate (Choice: refuses when the month's remaining budget is below one video's
estimate) -> MakeVideos (Map over the planned videos, ``maxConcurrency`` at once), each:
WriteScript -> Narrate -> StartClips -> WaitForClips/CheckClips loop -> Render (MediaConvert,
waited for with a task token) -> Upload. Clips that fail (after their own retries) lead to
UseFallback: narration over MediaConvert's generated picture, so the night still makes the
video. Every Task retries transient faults with backoff; every video's Catch goes to
MarkFailed (the video marked failed with its cause, the alerts topic told), which ends that
video only: the other videos of the night go on. Report sums the night up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.systems.trends.pipeline_settings import VideoPipelineSettings

LAMBDA_WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken"
# What Lambda itself answers when it cannot run a function for a moment (AWS's advice for
# every Lambda task), and what our functions raise for a transient fault.
TRANSIENT_ERRORS = [
    "RetryableStageError",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
FAILURE_HANDLER = "MarkFailed"
FALLBACK = "UseFallback"


@dataclass(frozen=True)
class PipelineFunctions:
    """The ARNs of the functions the machine invokes, by the state that invokes them."""

    plan: str
    script: str
    narrate: str
    start_clips: str
    check_clips: str
    render: str
    upload: str
    fail: str
    report: str


def _retry(settings: VideoPipelineSettings, attempts: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "ErrorEquals": TRANSIENT_ERRORS,
            "IntervalSeconds": settings.retry_interval_seconds,
            "BackoffRate": 2.0,
            "MaxAttempts": attempts or settings.retry_attempts,
        }
    ]


def _catch(next_state: str, result_path: str = "$.error") -> list[dict[str, Any]]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": result_path, "Next": next_state}]


def _task(
    arn: str, result_path: str, settings: VideoPipelineSettings, **rest: Any
) -> dict[str, Any]:
    """A Lambda task by its ARN: its result under ``result_path``; retried."""
    return {
        "Type": "Task",
        "Resource": arn,
        "ResultPath": result_path,
        "Retry": _retry(settings),
        **rest,
    }


def video_states(fn: PipelineFunctions, settings: VideoPipelineSettings) -> dict[str, Any]:
    """One video, from its script to YouTube (the Map's processor)."""
    to_failure = _catch(FAILURE_HANDLER)
    return {
        "StartAt": "WriteScript",
        "States": {
            "WriteScript": _task(fn.script, "$.script", settings, Catch=to_failure, Next="Narrate"),
            "Narrate": _task(
                fn.narrate, "$.narration", settings, Catch=to_failure, Next="StartClips"
            ),
            "StartClips": _task(
                fn.start_clips,
                "$.clips",
                settings,
                Catch=_catch(FALLBACK, "$.clips_error"),
                Next="WaitForClips",
            ),
            "WaitForClips": {
                "Type": "Wait",
                "Seconds": settings.clip_poll_seconds,
                "Next": "CheckClips",
            },
            "CheckClips": _task(
                fn.check_clips,
                "$.clips",
                settings,
                Catch=_catch(FALLBACK, "$.clips_error"),
                Next="ClipsReady",
            ),
            "ClipsReady": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.clips.status", "StringEquals": "Completed", "Next": "Render"},
                    {"Variable": "$.clips.status", "StringEquals": "Failed", "Next": FALLBACK},
                ],
                "Default": "WaitForClips",
            },
            FALLBACK: {
                "Type": "Pass",
                "Comment": "Seed 002 §5.2: without clips, narration over a generated picture",
                "Result": {"status": "Fallback", "jobs": []},
                "ResultPath": "$.clips",
                "Next": "Render",
            },
            "Render": {
                "Type": "Task",
                "Resource": LAMBDA_WAIT_FOR_TOKEN,
                "Parameters": {
                    "FunctionName": fn.render,
                    "Payload": {"token.$": "$$.Task.Token", "video.$": "$"},
                },
                "TimeoutSeconds": settings.render_timeout_seconds,
                "ResultPath": "$.render",
                # A timed-out render is waited for once more (CreateJob is idempotent on
                # the video: the same job, a new token).
                "Retry": [
                    *_retry(settings),
                    {"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1},
                ],
                "Catch": to_failure,
                "Next": "Upload",
            },
            "Upload": {
                **_task(fn.upload, "$.upload", settings, Catch=to_failure),
                # An interrupted upload resumes where it stopped: more attempts than a
                # stage that starts over.
                "Retry": _retry(settings, attempts=settings.retry_attempts + 2),
                "OutputPath": "$.upload",
                "End": True,
            },
            FAILURE_HANDLER: {
                **_task(fn.fail, "$.failure", settings),
                "OutputPath": "$.failure",
                "End": True,
            },
        },
    }


def pipeline_definition(fn: PipelineFunctions, settings: VideoPipelineSettings) -> dict[str, Any]:
    """The whole night."""
    return {
        "Comment": "trends: the night's top trends as narrated videos on YouTube (seed 002)",
        "StartAt": "Plan",
        "States": {
            "Plan": {
                "Type": "Task",
                "Resource": fn.plan,
                "Retry": _retry(settings),
                "Next": "BudgetGate",
            },
            "BudgetGate": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.budget.remaining_usd",
                        "NumericLessThanPath": "$.budget.video_estimate_usd",
                        "Next": "BudgetExhausted",
                    },
                    {"Variable": "$.videos[0]", "IsPresent": True, "Next": "MakeVideos"},
                ],
                "Default": "NothingToMake",
            },
            "BudgetExhausted": {
                "Type": "Succeed",
                "Comment": "The month's budget cannot pay for one more video: none started",
            },
            "NothingToMake": {"Type": "Succeed", "Comment": "No topic has a ranked trend"},
            "MakeVideos": {
                "Type": "Map",
                "ItemsPath": "$.videos",
                "MaxConcurrency": settings.max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    **video_states(fn, settings),
                },
                "ResultPath": "$.results",
                "Next": "Report",
            },
            "Report": {
                "Type": "Task",
                "Resource": fn.report,
                "Parameters": {
                    "night.$": "$.night",
                    "budget.$": "$.budget",
                    "results.$": "$.results",
                },
                "Retry": _retry(settings),
                "End": True,
            },
        },
    }
