"""The local MediaConvert through boto3's real mediaconvert client: clips really joined, the
narration laid over them, an H.264 1080p AAC MP4 written, and the job's state changes on
EventBridge as MediaConvert puts them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.media import make_clip, make_speech
from devstack.services.mediaconvert.service import EVENT_DETAIL_TYPE, EVENT_SOURCE, INPUT_ERROR_CODE
from tests.functional.media_support import (
    client,
    facts_of,
    mean_volume,
    media_endpoint,
    new_bucket,
    silence_starts,
    wait_for,
)

ROLE = "arn:aws:iam::123456789012:role/mediaconvert-videos"
CLIP_SECONDS = (2, 3)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with media_endpoint() as url:
        yield url


@pytest.fixture(scope="module")
def bucket(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A bucket with two clips (2 s and 3 s, silent) and 5 s of narration."""
    name = new_bucket(endpoint, "videos")
    s3 = client("s3", endpoint)
    work = tmp_path_factory.mktemp("media")
    for n, seconds in enumerate(CLIP_SECONDS):
        make_clip(f"scene {n}", seconds, 1280, 720, work / f"clip-{n}.mp4")
        s3.upload_file(str(work / f"clip-{n}.mp4"), name, f"clips/clip-{n}.mp4")
    make_speech(" ".join(["word"] * 13), "mp3", 22050, work / "narration.mp3")  # 5.2 s
    s3.upload_file(str(work / "narration.mp3"), name, "narration/topic-1.mp3")
    make_speech(" ".join(["word"] * 6), "mp3", 22050, work / "short.mp3")  # 2.4 s
    s3.upload_file(str(work / "short.mp3"), name, "narration/short.mp3")
    return name


@pytest.fixture
def mediaconvert(endpoint: str) -> Any:
    return client("mediaconvert", endpoint)


@pytest.fixture
def job_events(endpoint: str) -> Any:
    """A queue receiving every MediaConvert job state change from the default bus."""
    events, sqs = client("events", endpoint), client("sqs", endpoint)
    queue = sqs.create_queue(QueueName=f"jobs-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    rule = f"jobs-{uuid.uuid4().hex[:8]}"
    pattern = {"source": [EVENT_SOURCE], "detail-type": [EVENT_DETAIL_TYPE]}
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn["QueueArn"]}])

    def received(job_id: str, status: str) -> dict[str, Any]:
        def matching() -> list[dict[str, Any]]:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            bodies = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
            return [
                b
                for b in bodies
                if b["detail"]["jobId"] == job_id and b["detail"]["status"] == status
            ]

        return wait_for(matching, bool, timeout=30)[0]

    yield received
    events.remove_targets(Rule=rule, Ids=["queue"])
    events.delete_rule(Name=rule)


def _settings(bucket: str, narration: str) -> dict[str, Any]:
    """The pipeline's shape: each clip an input, the narration over all of them (each input
    takes it from where the previous clips end), one 1080p MP4 for YouTube."""
    inputs, offset = [], 0
    for n, seconds in enumerate(CLIP_SECONDS):
        selector = {
            "ExternalAudioFileInput": narration,
            "Offset": -offset,
            "DefaultSelection": "DEFAULT",
        }
        inputs.append(
            {
                "FileInput": f"s3://{bucket}/clips/clip-{n}.mp4",
                "AudioSelectors": {"Audio Selector 1": selector},
            }
        )
        offset += seconds * 1000
    output = {
        "ContainerSettings": {"Container": "MP4"},
        "VideoDescription": {
            "Width": 1920,
            "Height": 1080,
            "CodecSettings": {"Codec": "H_264", "H264Settings": {"RateControlMode": "QVBR"}},
        },
        "AudioDescriptions": [
            {
                "AudioSourceName": "Audio Selector 1",
                "CodecSettings": {
                    "Codec": "AAC",
                    "AacSettings": {
                        "SampleRate": 48000,
                        "Bitrate": 128000,
                        "CodingMode": "CODING_MODE_2_0",
                    },
                },
            }
        ],
        "NameModifier": "-youtube",
    }
    group = {
        "Name": "File Group",
        "OutputGroupSettings": {
            "Type": "FILE_GROUP_SETTINGS",
            "FileGroupSettings": {"Destination": f"s3://{bucket}/final/topic-1"},
        },
        "Outputs": [output],
    }
    return {"Inputs": inputs, "OutputGroups": [group]}


def _finished(mediaconvert: Any, job_id: str) -> dict[str, Any]:
    return wait_for(
        lambda: mediaconvert.get_job(Id=job_id)["Job"],
        lambda job: job["Status"] in ("COMPLETE", "ERROR"),
    )


def test_a_job_joins_the_clips_under_the_narration_into_a_1080p_mp4(
    endpoint: str, mediaconvert: Any, bucket: str, job_events: Any, tmp_path: Path
) -> None:
    narration = f"s3://{bucket}/narration/topic-1.mp3"
    created = mediaconvert.create_job(
        Role=ROLE, Settings=_settings(bucket, narration), UserMetadata={"topic": "topic-1"}
    )["Job"]
    job = _finished(mediaconvert, created["Id"])

    assert created["Status"] == "SUBMITTED"
    assert job["Status"] == "COMPLETE", job.get("ErrorMessage")
    video = client("s3", endpoint).get_object(Bucket=bucket, Key="final/topic-1-youtube.mp4")
    data = video["Body"].read()
    facts = facts_of(data, tmp_path, "final.mp4")
    assert (facts.video_codec, facts.width, facts.height) == ("h264", 1920, 1080)
    assert (facts.audio_codec, facts.sample_rate, facts.channels) == ("aac", 48000, "stereo")
    assert facts.duration == pytest.approx(sum(CLIP_SECONDS), abs=0.15)
    # The narration is heard over both clips (silence measures about -91 dB).
    assert mean_volume(data, tmp_path, "final.mp4") > -40
    detail = job["OutputGroupDetails"][0]["OutputDetails"][0]
    assert detail["DurationInMs"] == pytest.approx(sum(CLIP_SECONDS) * 1000, abs=150)
    assert detail["VideoDetails"] == {"WidthInPx": 1920, "HeightInPx": 1080}
    event = job_events(created["Id"], "COMPLETE")
    assert event["resources"] == [job["Arn"]]
    assert event["detail"]["userMetadata"] == {"topic": "topic-1"}
    paths = event["detail"]["outputGroupDetails"][0]["outputDetails"][0]["outputFilePaths"]
    assert paths == [f"s3://{bucket}/final/topic-1-youtube.mp4"]


def test_each_input_takes_the_narration_from_its_offset_so_it_is_heard_once(
    endpoint: str, mediaconvert: Any, bucket: str, tmp_path: Path
) -> None:
    settings = _settings(bucket, f"s3://{bucket}/narration/short.mp3")
    settings["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"]["Destination"] = (
        f"s3://{bucket}/short/topic-1"
    )

    job = _finished(
        mediaconvert, mediaconvert.create_job(Role=ROLE, Settings=settings)["Job"]["Id"]
    )

    assert job["Status"] == "COMPLETE", job.get("ErrorMessage")
    data = client("s3", endpoint).get_object(Bucket=bucket, Key="short/topic-1-youtube.mp4")
    # 2.4 s of narration, then silence to the end: the second clip (from 2 s) carries on
    # 0.4 s into the narration instead of starting it again.
    starts = silence_starts(data["Body"].read(), tmp_path, "short.mp4")
    assert len(starts) == 1
    assert starts[0] == pytest.approx(2.4, abs=0.15)


def test_a_clip_without_narration_keeps_silence_for_its_length(
    endpoint: str, mediaconvert: Any, bucket: str, tmp_path: Path
) -> None:
    settings = _settings(bucket, f"s3://{bucket}/narration/topic-1.mp3")
    for given in settings["Inputs"]:
        given.pop("AudioSelectors")
    settings["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"]["Destination"] = (
        f"s3://{bucket}/silent/"
    )

    job = _finished(
        mediaconvert, mediaconvert.create_job(Role=ROLE, Settings=settings)["Job"]["Id"]
    )

    assert job["Status"] == "COMPLETE", job.get("ErrorMessage")
    # A destination ending in "/" takes the first input's name, as MediaConvert names it.
    data = (
        client("s3", endpoint)
        .get_object(Bucket=bucket, Key="silent/clip-0-youtube.mp4")["Body"]
        .read()
    )
    assert facts_of(data, tmp_path, "silent.mp4").duration == pytest.approx(5, abs=0.15)
    assert mean_volume(data, tmp_path, "silent.mp4") < -80


def test_a_video_generator_input_is_black_video_of_its_duration(
    endpoint: str, mediaconvert: Any, bucket: str, tmp_path: Path
) -> None:
    settings = _settings(bucket, f"s3://{bucket}/narration/topic-1.mp3")
    settings["Inputs"] = [{"VideoGenerator": {"Duration": 1500}}, settings["Inputs"][1]]
    settings["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"]["Destination"] = (
        f"s3://{bucket}/generated/topic-1"
    )

    job = _finished(
        mediaconvert, mediaconvert.create_job(Role=ROLE, Settings=settings)["Job"]["Id"]
    )

    assert job["Status"] == "COMPLETE", job.get("ErrorMessage")
    data = client("s3", endpoint).get_object(Bucket=bucket, Key="generated/topic-1-youtube.mp4")
    facts = facts_of(data["Body"].read(), tmp_path, "generated.mp4")
    assert facts.duration == pytest.approx(1.5 + CLIP_SECONDS[1], abs=0.15)
    assert (facts.width, facts.height) == (1920, 1080)


def test_a_missing_input_ends_the_job_in_error_and_says_so(
    mediaconvert: Any, bucket: str, job_events: Any
) -> None:
    narration = f"s3://{bucket}/narration/missing.mp3"

    job_id = mediaconvert.create_job(Role=ROLE, Settings=_settings(bucket, narration))["Job"]["Id"]
    job = _finished(mediaconvert, job_id)

    assert job["Status"] == "ERROR"
    assert job["ErrorCode"] == INPUT_ERROR_CODE
    assert narration in job["ErrorMessage"]
    event = job_events(job_id, "ERROR")
    assert event["detail"]["errorCode"] == INPUT_ERROR_CODE


def test_settings_it_cannot_honour_are_refused_at_create_job(
    mediaconvert: Any, bucket: str
) -> None:
    settings = _settings(bucket, f"s3://{bucket}/narration/topic-1.mp3")
    settings["OutputGroups"][0]["Outputs"][0]["ContainerSettings"] = {"Container": "MOV"}

    with pytest.raises(ClientError) as refused:
        mediaconvert.create_job(Role=ROLE, Settings=settings)

    assert refused.value.response["Error"]["Code"] == "BadRequestException"


def test_describe_endpoints_names_the_local_endpoint(endpoint: str, mediaconvert: Any) -> None:
    assert mediaconvert.describe_endpoints()["Endpoints"] == [{"Url": endpoint}]


def test_an_unknown_job_is_not_found(mediaconvert: Any) -> None:
    with pytest.raises(ClientError) as missing:
        mediaconvert.get_job(Id="1700000000000-nojob")

    assert missing.value.response["Error"]["Code"] == "NotFoundException"


def test_inputs_after_the_narration_ends_are_silent_not_an_error(
    endpoint: str, mediaconvert: Any, bucket: str, tmp_path: Path
) -> None:
    """The clips repeated under a narration too short for them (a script's length is an
    estimate): the inputs that start after it ends hear silence, as in MediaConvert."""
    settings = _settings(bucket, f"s3://{bucket}/narration/topic-1.mp3")
    first, second = settings["Inputs"]
    later = [
        {**given, "AudioSelectors": {"Audio Selector 1": {**selector, "Offset": offset}}}
        for given, selector, offset in (
            (first, first["AudioSelectors"]["Audio Selector 1"], -10000),
            (second, second["AudioSelectors"]["Audio Selector 1"], -12000),
        )
    ]
    settings["Inputs"] = [first, second, *later]
    settings["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"]["Destination"] = (
        f"s3://{bucket}/final/past-the-end"
    )

    job = _finished(
        mediaconvert, mediaconvert.create_job(Role=ROLE, Settings=settings)["Job"]["Id"]
    )

    assert job["Status"] == "COMPLETE", job.get("ErrorMessage")
    data = (
        client("s3", endpoint)
        .get_object(Bucket=bucket, Key="final/past-the-end-youtube.mp4")["Body"]
        .read()
    )
    assert facts_of(data, tmp_path, "long.mp4").duration == pytest.approx(
        2 * sum(CLIP_SECONDS), abs=0.2
    )
