"""The local Converse asks the profiles' model fakes in order and answers with the first
that recognises the request, in Bedrock Runtime's wire format (parsed here by botocore's
own parser); csvchat's text-to-SQL fake recognises only csvchat's requests."""

from __future__ import annotations

import json
from typing import Any

from devstack.profiles.csvchat import PROFILE as CSVCHAT
from devstack.profiles.csvchat_model import MODEL as TEXT_TO_SQL
from devstack.services.bedrock.converse import response
from tests.unit.converse_support import converse

SQL_TOOL = {
    "toolSpec": {
        "name": "answer_with_sql",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"sql": {"type": "string"}, "explanation": {"type": "string"}},
            }
        },
    }
}
TABLE = 'CREATE TABLE "sales" ("region" STRING, "amount" DOUBLE);'


class Echo:
    """A fake recognising requests whose last message starts with its word."""

    def __init__(self, word: str) -> None:
        self.name = f"echo {word}"
        self.word = word
        self.asked = 0

    def answers(self, request: dict[str, Any]) -> dict[str, Any] | None:
        self.asked += 1
        text = request["messages"][-1]["content"][0]["text"]
        if not text.startswith(self.word):
            return None
        return response({"text": f"{self.name}: {text}"}, "end_turn", text, self.name)


def _request(text: str, system: str = "", tools: list[Any] | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": text}]}]}
    if system:
        request["system"] = [{"text": system}]
    if tools:
        request["toolConfig"] = {"tools": tools}
    return request


def test_the_first_fake_that_recognises_the_request_answers_it() -> None:
    first, second = Echo("alpha"), Echo("beta")

    status, parsed = converse([first, second], _request("beta please"))

    assert status == 200
    assert parsed["output"]["message"]["content"] == [{"text": "echo beta: beta please"}]
    assert (first.asked, second.asked) == (1, 1)
    assert parsed["usage"]["totalTokens"] == 2 + 2
    assert parsed["metrics"]["latencyMs"] >= 1


def test_a_request_no_fake_recognises_is_a_validation_error_naming_the_fakes() -> None:
    status, parsed = converse([Echo("alpha")], _request("gamma"))

    assert status == 400
    assert parsed["Error"]["Code"] == "ValidationException"
    assert "echo alpha" in parsed["Error"]["Message"]


def test_markers_and_a_throttle_model_rehearse_bedrocks_errors_for_any_system() -> None:
    fake = Echo("alpha")

    failed, failure = converse([fake], _request("alpha [local:model-fail]"))
    throttled, throttling = converse([fake], _request("x", system="[local:throttle]"))
    by_model, _ = converse([fake], _request("alpha"), model="throttle-me")

    assert (failed, failure["Error"]["Code"]) == (400, "ValidationException")
    assert (throttled, throttling["Error"]["Code"]) == (429, "ThrottlingException")
    assert by_model == 429
    assert fake.asked == 0


def test_csvchats_profile_declares_its_text_to_sql_model() -> None:
    assert TEXT_TO_SQL in CSVCHAT.models


def test_text_to_sql_answers_csvchats_tool_with_sql_for_the_table() -> None:
    request = _request("total amount by region", system=TABLE, tools=[SQL_TOOL])

    status, parsed = converse([TEXT_TO_SQL], request)

    assert (status, parsed["stopReason"]) == (200, "tool_use")
    used = parsed["output"]["message"]["content"][0]["toolUse"]
    assert used["name"] == "answer_with_sql"
    assert used["input"]["sql"] == (
        'SELECT "region", SUM("amount") AS sum_amount FROM "sales" GROUP BY "region" '
        'ORDER BY "region"'
    )


def test_text_to_sql_answers_a_create_table_prompt_without_a_tool_in_text() -> None:
    status, parsed = converse([TEXT_TO_SQL], _request("how many rows", system=TABLE))

    assert (status, parsed["stopReason"]) == (200, "end_turn")
    answer = json.loads(parsed["output"]["message"]["content"][0]["text"])
    assert answer["sql"] == 'SELECT COUNT(*) AS row_count FROM "sales"'


def test_text_to_sql_leaves_other_systems_requests_to_their_fakes() -> None:
    other_tool = {"toolSpec": {"name": "write_video_script", "inputSchema": {"json": {}}}}
    fallback = Echo("")

    no_table = converse([TEXT_TO_SQL, fallback], _request("how many rows"))
    other = converse([TEXT_TO_SQL, fallback], _request("x", system=TABLE, tools=[other_tool]))

    assert no_table[1]["output"]["message"]["content"] == [{"text": "echo : how many rows"}]
    assert other[1]["output"]["message"]["content"] == [{"text": "echo : x"}]
