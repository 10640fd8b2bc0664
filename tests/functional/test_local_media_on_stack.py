"""The media services answer on the stack's own endpoint (``LocalAwsServer``), beside moto
and the other fronts, so ``make dev`` serves what the media tests exercise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from devstack.aws_server import LocalAwsServer
from devstack.processes import free_port
from devstack.services.awslambda.service import FunctionHosts
from tests.conftest import REGION
from tests.functional.media_support import client


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs: Path = tmp_path_factory.mktemp("logs")
    server = LocalAwsServer("127.0.0.1", free_port(), FunctionHosts("127.0.0.1", logs))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def test_polly_speaks_here_and_moto_still_lists_its_voices(endpoint: str) -> None:
    polly = client("polly", endpoint)

    speech = polly.synthesize_speech(Text="one two three", VoiceId="Joanna", OutputFormat="mp3")
    voices = polly.describe_voices(LanguageCode="en-US")["Voices"]

    assert speech["ContentType"] == "audio/mpeg" and len(speech["AudioStream"].read()) > 1000
    assert "Joanna" in [voice["Id"] for voice in voices]


def test_bedrocks_async_invocations_and_converse_are_both_answered(endpoint: str) -> None:
    bedrock = client("bedrock-runtime", endpoint)
    arn = f"arn:aws:bedrock:{REGION}:123456789012:async-invoke/none"

    with pytest.raises(ClientError) as missing:
        bedrock.get_async_invoke(invocationArn=arn)
    # No profile's model fake on this endpoint: the local Converse itself refuses it.
    with pytest.raises(ClientError) as unanswered:
        bedrock.converse(
            modelId="local", messages=[{"role": "user", "content": [{"text": "how many rows?"}]}]
        )

    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    refused = unanswered.value.response["Error"]
    assert refused["Code"] == "ValidationException" and "no model" in refused["Message"]


def test_mediaconvert_names_this_endpoint(endpoint: str) -> None:
    found = client("mediaconvert", endpoint).describe_endpoints()["Endpoints"]

    assert found == [{"Url": endpoint}]
