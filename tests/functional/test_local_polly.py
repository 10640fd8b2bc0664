"""The local Polly's speech through boto3's real polly client: real audio, as long as the
text takes to read, and tasks that write it to S3 and tell SNS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.media import WORDS_PER_MINUTE
from tests.conftest import REGION
from tests.functional.media_support import (
    client,
    facts_of,
    media_endpoint,
    new_bucket,
    wait_for,
)

TEXT = " ".join(["narration"] * 50)  # 50 words: 20 s at 150 words a minute
SECONDS = 50 * 60 / WORDS_PER_MINUTE


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with media_endpoint() as url:
        yield url


@pytest.fixture
def polly(endpoint: str) -> Any:
    return client("polly", endpoint)


@pytest.fixture
def bucket(endpoint: str) -> str:
    return new_bucket(endpoint, "narration")


def test_speech_is_mp3_as_long_as_the_text_takes_to_read(polly: Any, tmp_path: Path) -> None:
    answer = polly.synthesize_speech(Text=TEXT, VoiceId="Joanna", OutputFormat="mp3")

    facts = facts_of(answer["AudioStream"].read(), tmp_path, "speech.mp3")
    assert answer["ContentType"] == "audio/mpeg"
    assert answer["RequestCharacters"] == len(TEXT)
    assert facts.audio_codec == "mp3"
    assert facts.sample_rate == 22050
    assert facts.duration == pytest.approx(SECONDS, abs=0.3)


def test_ogg_vorbis_and_raw_pcm_come_in_their_own_formats(polly: Any, tmp_path: Path) -> None:
    ogg = polly.synthesize_speech(
        Text=TEXT, VoiceId="Matthew", OutputFormat="ogg_vorbis", SampleRate="24000"
    )
    pcm = polly.synthesize_speech(Text=TEXT, VoiceId="Matthew", OutputFormat="pcm")

    facts = facts_of(ogg["AudioStream"].read(), tmp_path, "speech.ogg")
    assert (ogg["ContentType"], facts.audio_codec, facts.sample_rate) == (
        "audio/ogg",
        "vorbis",
        24000,
    )
    assert pcm["ContentType"] == "audio/pcm"
    # 16-bit mono samples at Polly's default 16 kHz for pcm.
    assert len(pcm["AudioStream"].read()) == pytest.approx(SECONDS * 16000 * 2, rel=0.01)


def test_ssml_tags_are_neither_spoken_nor_billed(polly: Any) -> None:
    ssml = '<speak>Hello <break time="300ms"/> <emphasis>world</emphasis></speak>'

    answer = polly.synthesize_speech(
        Text=ssml, TextType="ssml", VoiceId="Joanna", OutputFormat="mp3"
    )

    assert answer["RequestCharacters"] == len("Hello  world")


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"Text": "hi", "VoiceId": "Nobody", "OutputFormat": "mp3"}, "ValidationException"),
        (
            {"Text": "x" * 3001, "VoiceId": "Joanna", "OutputFormat": "mp3"},
            "TextLengthExceededException",
        ),
        (
            {"Text": "<speak>hi", "TextType": "ssml", "VoiceId": "Joanna", "OutputFormat": "mp3"},
            "InvalidSsmlException",
        ),
        (
            {"Text": "hi", "VoiceId": "Joanna", "OutputFormat": "pcm", "SampleRate": "22050"},
            "InvalidSampleRateException",
        ),
    ],
)
def test_a_request_polly_refuses_is_refused_with_its_code(
    polly: Any, request_: dict[str, str], code: str
) -> None:
    with pytest.raises(ClientError) as refused:
        polly.synthesize_speech(**request_)

    assert refused.value.response["Error"]["Code"] == code
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_task_writes_the_audio_to_s3_and_tells_its_topic(
    endpoint: str, polly: Any, bucket: str, tmp_path: Path
) -> None:
    sns, sqs = client("sns", endpoint), client("sqs", endpoint)
    topic = sns.create_topic(Name=f"speech-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"speech-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )

    started = polly.start_speech_synthesis_task(
        Text=TEXT,
        VoiceId="Joanna",
        OutputFormat="mp3",
        Engine="long-form",
        OutputS3BucketName=bucket,
        OutputS3KeyPrefix="narration/topic-1.",
        SnsTopicArn=topic,
    )["SynthesisTask"]
    task_id = started["TaskId"]
    done = wait_for(
        lambda: polly.get_speech_synthesis_task(TaskId=task_id)["SynthesisTask"],
        lambda task: task["TaskStatus"] in ("completed", "failed"),
    )

    assert started["TaskStatus"] == "scheduled"
    assert done["TaskStatus"] == "completed", done.get("TaskStatusReason")
    key = f"narration/topic-1.{task_id}.mp3"
    assert done["OutputUri"] == f"https://s3.{REGION}.amazonaws.com/{bucket}/{key}"
    audio = client("s3", endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    facts = facts_of(audio, tmp_path, "task.mp3")
    assert facts.duration == pytest.approx(SECONDS, abs=0.3)
    # The neural engines' mp3 is 24 kHz unless asked otherwise.
    assert (done["SampleRate"], facts.sample_rate) == ("24000", 24000)
    told = wait_for(lambda: sqs.receive_message(QueueUrl=queue).get("Messages", []), bool)
    message = json.loads(told[0]["Body"])
    assert (message["TaskId"], message["TaskStatus"]) == (task_id, "completed")


def test_a_task_whose_bucket_is_missing_fails_with_its_reason(polly: Any) -> None:
    task_id = polly.start_speech_synthesis_task(
        Text="short", VoiceId="Joanna", OutputFormat="mp3", OutputS3BucketName="no-such-bucket-x1"
    )["SynthesisTask"]["TaskId"]

    done = wait_for(
        lambda: polly.get_speech_synthesis_task(TaskId=task_id)["SynthesisTask"],
        lambda task: task["TaskStatus"] in ("completed", "failed"),
    )

    assert done["TaskStatus"] == "failed"
    assert "NoSuchBucket" in done["TaskStatusReason"]
    listed = polly.list_speech_synthesis_tasks(Status="failed")["SynthesisTasks"]
    assert task_id in [task["TaskId"] for task in listed]
