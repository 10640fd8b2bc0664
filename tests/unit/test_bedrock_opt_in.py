"""Real Bedrock on the local stack when the operator opts in (``BEDROCK_REAL=1``): which
client the stack makes from make dev's environment, and the local Converse forwarding to it
in Bedrock Runtime's wire format (a stub client: no network)."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import HTTPHeaders
from botocore.exceptions import ClientError
from botocore.parsers import create_parser
from werkzeug.test import Client
from werkzeug.wrappers import Response

from devstack.local_stack import LocalStack
from devstack.outside import real_bedrock
from devstack.services.bedrock.converse import LocalBedrock
from devstack.stack import run

REGION = "eu-north-1"
MODEL = "global.amazon.nova-2-lite-v1:0"
REQUEST = {
    "system": [{"text": 'CREATE TABLE "t" ("region" STRING, "amount" DOUBLE);'}],
    "messages": [{"role": "user", "content": [{"text": "total amount by region"}]}],
    "inferenceConfig": {"maxTokens": 512, "temperature": 0},
}
ANSWER = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "tooluse_1",
                        "name": "answer_with_sql",
                        "input": {"sql": 'SELECT SUM("amount") FROM "t"', "explanation": "Sum."},
                    }
                }
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42},
    "metrics": {"latencyMs": 321},
}


def _credentials(client: Any) -> tuple[str, str, str | None]:
    # botocore keeps a client's credentials in its signer; there is no public accessor.
    frozen = client._request_signer._credentials.get_frozen_credentials()
    return frozen.access_key, frozen.secret_key, frozen.token


@pytest.fixture
def profile_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An AWS config with one profile, ``ops``, and the local endpoint in the environment
    (as it is once the stack runs)."""
    (tmp_path / "credentials").write_text(
        "[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = ops-secret\n"
    )
    (tmp_path / "config").write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    yield


# --- which client -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "0"])
def test_without_the_opt_in_the_local_bedrock_answers(value: str | None) -> None:
    environ = {"AWS_ACCESS_KEY_ID": "AKIAREAL", "AWS_SECRET_ACCESS_KEY": "real"}
    if value is not None:
        environ["BEDROCK_REAL"] = value
    assert real_bedrock(environ, REGION) is None


def test_opted_in_with_keys_calls_the_regional_endpoint_with_them(profile_files: None) -> None:
    environ = {
        "BEDROCK_REAL": "1",
        "AWS_ACCESS_KEY_ID": "AKIAREAL",
        "AWS_SECRET_ACCESS_KEY": "real-secret",
        "AWS_SESSION_TOKEN": "real-token",
    }
    client = real_bedrock(environ, REGION)
    assert client is not None
    # AWS_ENDPOINT_URL (the local endpoint) is set and does not redirect it.
    assert client.meta.endpoint_url == f"https://bedrock-runtime.{REGION}.amazonaws.com"
    assert client.meta.region_name == REGION
    assert _credentials(client) == ("AKIAREAL", "real-secret", "real-token")


def test_opted_in_with_a_profile_uses_the_profile(profile_files: None) -> None:
    # The suite's dummy keys are in the process environment; the profile still wins.
    client = real_bedrock({"BEDROCK_REAL": "1", "AWS_PROFILE": "ops"}, REGION)
    assert client is not None
    assert client.meta.endpoint_url == f"https://bedrock-runtime.{REGION}.amazonaws.com"
    assert _credentials(client) == ("AKIAOPS", "ops-secret", None)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"BEDROCK_REAL": "1"}, "needs real AWS credentials"),
        ({"BEDROCK_REAL": "1", "AWS_ACCESS_KEY_ID": "AKIAREAL"}, "AWS_SECRET_ACCESS_KEY"),
        ({"BEDROCK_REAL": "1", "AWS_PROFILE": "nobody"}, "nobody"),
    ],
)
def test_opted_in_without_credentials_is_refused(
    profile_files: None, environ: dict[str, str], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        real_bedrock(environ, REGION)


def test_make_dev_refuses_to_start_when_opted_in_without_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BEDROCK_REAL", "1")
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit, match="BEDROCK_REAL=1 calls real Bedrock"):
            run("dev", "127.0.0.1", 0, 0, state_dir=tmp_path)
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
    assert not (tmp_path / "stack.json").exists()


def test_stack_json_lists_real_bedrock() -> None:
    local = LocalStack("dev", "127.0.0.1", 1, 2, profiles=[], bedrock=object())
    assert local.description()["real"] == ["bedrock"]
    assert LocalStack("dev", "127.0.0.1", 1, 2, profiles=[]).description()["real"] == []


# --- forwarding ---------------------------------------------------------------------------


class StubBedrock:
    """A ``bedrock-runtime`` client's ``converse``: records the call, answers or raises."""

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def converse(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return {**self.answer, "ResponseMetadata": {"HTTPStatusCode": 200}}


def _not_bedrock(environ: Any, start_response: Any) -> Any:
    return Response("moto", status=404)(environ, start_response)


def _post(real: StubBedrock, model: str = MODEL) -> Any:
    client = Client(LocalBedrock(_not_bedrock, real=real))
    return client.post(f"/model/{model.replace(':', '%3A')}/converse", json=REQUEST)


def _parsed(response: Any) -> dict[str, Any]:
    """What boto3 makes of the answer: Bedrock Runtime's own model and wire parser."""
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    wire = {
        "status_code": response.status_code,
        "headers": HTTPHeaders.from_pairs(list(response.headers.items())),
        "body": response.get_data(),
    }
    parsed: dict[str, Any] = create_parser("rest-json").parse(
        wire, model.operation_model("Converse").output_shape
    )
    return parsed


def test_a_converse_request_reaches_real_bedrock_and_its_answer_comes_back() -> None:
    real = StubBedrock(ANSWER)
    response = _post(real)
    assert real.calls == [{**REQUEST, "modelId": MODEL}]
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.get_data()) == ANSWER  # no ResponseMetadata on the wire
    parsed = _parsed(response)
    assert parsed["output"] == ANSWER["output"]
    assert parsed["usage"] == ANSWER["usage"]


def test_real_bedrock_refusing_is_answered_with_its_status_and_code() -> None:
    error = ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "Too many tokens"},
            "ResponseMetadata": {"HTTPStatusCode": 429},
        },
        "Converse",
    )
    response = _post(StubBedrock(error))
    assert response.status_code == 429
    error_parsed = _parsed(response)["Error"]
    assert error_parsed == {"Code": "ThrottlingException", "Message": "Too many tokens"}


def test_with_real_bedrock_the_fakes_throttle_switch_is_off() -> None:
    real = StubBedrock(ANSWER)
    assert _post(real, "throttle-please").status_code == 200
    assert real.calls[0]["modelId"] == "throttle-please"


def test_anything_but_converse_goes_on_to_moto() -> None:
    real = StubBedrock(ANSWER)
    response = Client(LocalBedrock(_not_bedrock, real=real)).get("/model/x/converse")
    assert response.status_code == 404
    assert real.calls == []
