"""The pipeline tasks' own logic: the render's inputs (clips repeated under the narration,
each taking it from where the previous ones end; the fallback's generated picture), what a
MediaConvert event says, how the clip jobs move on (a failed job started again while
attempts remain, then the fallback; a cap on the looks), and which service errors are
retried."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.trends import clips
from chalicelib.trends.render import AUDIO_SELECTOR, job_outcome, job_settings, render_cost
from chalicelib.trends.service_errors import mapped_call


def test_clips_repeat_until_the_narration_is_covered_and_each_takes_it_from_its_start() -> None:
    footage = [{"uri": "s3://b/c0.mp4", "seconds": 5}, {"uri": "s3://b/c1.mp4", "seconds": 5}]

    settings = job_settings(footage, "s3://b/n.mp3", 23.0, "s3://b/videos/v/video")

    inputs = settings["Inputs"]
    assert [i["FileInput"] for i in inputs] == ["s3://b/c0.mp4", "s3://b/c1.mp4"] * 2 + [
        "s3://b/c0.mp4"
    ]
    offsets = [i["AudioSelectors"][AUDIO_SELECTOR]["Offset"] for i in inputs]
    assert offsets == [0, -5000, -10000, -15000, -20000]
    (output,) = settings["OutputGroups"][0]["Outputs"]
    video = output["VideoDescription"]
    assert (video["Width"], video["Height"], video["CodecSettings"]["Codec"]) == (
        1920,
        1080,
        "H_264",
    )
    audio = output["AudioDescriptions"][0]["CodecSettings"]
    assert (audio["Codec"], audio["AacSettings"]["SampleRate"]) == ("AAC", 48000)


def test_the_fallback_is_the_narration_over_a_generated_picture_of_its_length() -> None:
    (only,) = job_settings([], "s3://b/n.mp3", 61.5, "s3://b/videos/v/video")["Inputs"]

    assert only["VideoGenerator"] == {"Duration": 61500}
    assert only["AudioSelectors"][AUDIO_SELECTOR]["ExternalAudioFileInput"] == "s3://b/n.mp3"


def test_a_job_event_says_how_it_ended() -> None:
    complete = {
        "status": "COMPLETE",
        "outputGroupDetails": [{"outputDetails": [{"durationInMs": 61_000}]}],
    }
    error = {"status": "ERROR", "errorCode": 1010, "errorMessage": "input not found"}

    assert job_outcome(complete) == {"status": "COMPLETE", "duration_ms": 61_000}
    assert job_outcome(error) == {"status": "ERROR", "error": "1010 input not found"}
    assert job_outcome({"status": "PROGRESSING"}) == {"status": "PROGRESSING"}
    assert render_cost(61_000) == pytest.approx(2 * render_cost(1))


class Jobs:
    """Bedrock's async invocations as a table of statuses (what ``check_clips`` reads)."""

    def __init__(self, statuses: dict[str, list[str]]) -> None:
        self.statuses = statuses  # prompt -> the statuses its successive jobs end with
        self.started: list[dict[str, Any]] = []

    def start_async_invoke(self, **request: Any) -> dict[str, str]:
        self.started.append(request)
        return {"invocationArn": f"arn:aws:bedrock:r:1:async-invoke/{len(self.started)}"}

    def get_async_invoke(self, invocationArn: str) -> dict[str, Any]:
        request = self.started[int(invocationArn.rsplit("/", 1)[1]) - 1]
        prompt = request["modelInput"]["prompt"]
        attempt = sum(
            1
            for r in self.started[: self.started.index(request) + 1]
            if r["modelInput"]["prompt"] == prompt
        )
        status = self.statuses[prompt][min(attempt, len(self.statuses[prompt])) - 1]
        return {
            "status": status,
            "failureMessage": "model error" if status == "Failed" else None,
            "outputDataConfig": request["outputDataConfig"],
        }


SCENES = [{"prompt": "a", "seconds": 5}, {"prompt": "b", "seconds": 5}]


def check(jobs: Jobs, state: dict[str, Any], attempts: int = 2) -> tuple[dict[str, Any], float]:
    return clips.check_clips(
        jobs,
        state,
        model_id="luma.ray-v2:0",
        video_id="v",
        scenes=SCENES,
        resolution="540p",
        bucket="b",
        attempts=attempts,
        poll_limit=3,
    )


def start(jobs: Jobs) -> dict[str, Any]:
    return clips.start_clips(
        jobs, model_id="luma.ray-v2:0", video_id="v", scenes=SCENES, resolution="540p", bucket="b"
    )


def test_a_failed_clip_is_started_again_then_the_clips_complete_with_their_files() -> None:
    jobs = Jobs({"a": ["Completed"], "b": ["Failed", "Completed"]})

    first, cost = check(jobs, start(jobs))
    assert first["status"] == clips.IN_PROGRESS
    assert jobs.started[-1]["clientRequestToken"] == "v-1-2"  # scene 1, second attempt
    done, later_cost = check(jobs, first)

    assert done["status"] == clips.COMPLETED
    assert [j["uri"] for j in done["jobs"]] == [
        "s3://b/work/v/clips/0/1/output.mp4",
        "s3://b/work/v/clips/1/3/output.mp4",
    ]
    assert cost > 0 and later_cost == pytest.approx(cost)  # each clip paid for once


def test_a_clip_that_keeps_failing_ends_the_clips_with_the_reason() -> None:
    jobs = Jobs({"a": ["Completed"], "b": ["Failed"]})

    state, _ = check(jobs, start(jobs), attempts=2)
    failed, _ = check(jobs, state, attempts=2)

    assert failed["status"] == clips.FAILED
    assert "scene 1: model error" in failed["reason"]


def test_clips_still_running_after_the_last_look_fail() -> None:
    jobs = Jobs({"a": ["InProgress"], "b": ["InProgress"]})
    state = start(jobs)
    for _ in range(3):
        state, _ = check(jobs, state)

    assert state["status"] == clips.FAILED
    assert state["reason"] == "clips still running after 3 looks"


class Refused(Exception):
    pass


class Unavailable(Exception):
    pass


def _failing(error: Exception) -> Any:
    def call() -> None:
        raise error

    return call


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "Op"),
            Unavailable,
        ),
        (ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "Op"), Refused),
        (EndpointConnectionError(endpoint_url="https://bedrock"), Unavailable),
    ],
)
def test_a_service_error_is_retried_only_when_retrying_can_help(
    error: Exception, expected: type[Exception]
) -> None:
    with pytest.raises(expected, match=r"^Bedrock Converse: "):
        mapped_call(
            "Bedrock Converse",
            _failing(error),
            transient={"ThrottlingException"},
            refused=Refused,
            unavailable=Unavailable,
        )
