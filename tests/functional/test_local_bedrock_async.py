"""The local Bedrock's async video invocations through boto3's real bedrock-runtime client:
a playable H.264 MP4 of the asked length and shape where Bedrock puts it, and failures on
demand for the pipeline's error paths."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.services.bedrock.async_invoke import FAIL_MARKER, FAIL_ONCE_MARKER
from tests.conftest import REGION
from tests.functional.media_support import (
    client,
    facts_of,
    media_endpoint,
    new_bucket,
    wait_for,
)

MODEL = "luma.ray-v2:0"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with media_endpoint() as url:
        yield url


@pytest.fixture
def bedrock(endpoint: str) -> Any:
    return client("bedrock-runtime", endpoint)


@pytest.fixture
def bucket(endpoint: str) -> str:
    return new_bucket(endpoint, "clips")


def _start(bedrock: Any, bucket: str, **body: Any) -> str:
    answer = bedrock.start_async_invoke(
        modelId=MODEL,
        modelInput={"prompt": "a lighthouse at dawn", "aspect_ratio": "16:9", **body},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/clips/topic-1"}},
    )
    return str(answer["invocationArn"])


def _finished(bedrock: Any, arn: str) -> dict[str, Any]:
    return wait_for(
        lambda: bedrock.get_async_invoke(invocationArn=arn),
        lambda job: job["status"] != "InProgress",
    )


@pytest.mark.parametrize(
    ("duration", "resolution", "seconds", "size"),
    [("5s", "720p", 5.0, (1280, 720)), ("9s", "540p", 9.0, (960, 540))],
)
def test_a_clip_is_a_playable_h264_mp4_where_bedrock_puts_it(
    endpoint: str,
    bedrock: Any,
    bucket: str,
    tmp_path: Path,
    duration: str,
    resolution: str,
    seconds: float,
    size: tuple[int, int],
) -> None:
    arn = _start(bedrock, bucket, duration=duration, resolution=resolution)
    job = _finished(bedrock, arn)

    assert job["status"] == "Completed", job.get("failureMessage")
    assert arn.startswith(f"arn:aws:bedrock:{REGION}:") and ":async-invoke/" in arn
    key = f"clips/topic-1/{arn.rsplit('/', 1)[1]}/output.mp4"
    video = client("s3", endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    facts = facts_of(video, tmp_path, "output.mp4")
    assert (facts.video_codec, (facts.width, facts.height)) == ("h264", size)
    assert facts.duration == pytest.approx(seconds, abs=0.1)
    assert job["endTime"] >= job["submitTime"]


def test_a_prompt_with_the_fail_marker_fails_its_job(bedrock: Any, bucket: str) -> None:
    arn = _start(bedrock, bucket, prompt=f"a storm {FAIL_MARKER}")

    job = _finished(bedrock, arn)

    assert job["status"] == "Failed"
    assert FAIL_MARKER in job["failureMessage"]


def test_the_fail_once_marker_fails_the_first_job_and_lets_a_retry_succeed(
    bedrock: Any, bucket: str
) -> None:
    prompt = f"a harbour {uuid.uuid4().hex} {FAIL_ONCE_MARKER}"

    first = _finished(bedrock, _start(bedrock, bucket, prompt=prompt))
    retry = _finished(bedrock, _start(bedrock, bucket, prompt=prompt))

    assert (first["status"], retry["status"]) == ("Failed", "Completed")


def test_the_same_client_token_gives_back_the_same_invocation(bedrock: Any, bucket: str) -> None:
    request = {
        "modelId": MODEL,
        "modelInput": {"prompt": "a quiet street"},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/clips"}},
        "clientRequestToken": f"token-{uuid.uuid4().hex}",
    }

    first = bedrock.start_async_invoke(**request)["invocationArn"]
    again = bedrock.start_async_invoke(**request)["invocationArn"]
    _finished(bedrock, first)

    assert again == first
    done = bedrock.list_async_invokes(statusEquals="Completed")["asyncInvokeSummaries"]
    assert first in [summary["invocationArn"] for summary in done]


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (MODEL, {"prompt": "x", "duration": "7s"}),
        (MODEL, {"prompt": ""}),
        (MODEL, {"prompt": "x", "resolution": "4k"}),
        ("amazon.nova-reel-v1:0", {"prompt": "x"}),
    ],
)
def test_a_body_or_model_bedrock_refuses_is_a_validation_exception(
    bedrock: Any, bucket: str, model: str, body: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as refused:
        bedrock.start_async_invoke(
            modelId=model,
            modelInput=body,
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/clips"}},
        )

    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_an_unknown_invocation_is_not_found(bedrock: Any) -> None:
    with pytest.raises(ClientError) as missing:
        bedrock.get_async_invoke(
            invocationArn=f"arn:aws:bedrock:{REGION}:123456789012:async-invoke/nothing"
        )

    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
