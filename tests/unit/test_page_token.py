"""The shared ``next`` token: what one page encodes the next decodes, and anything else is
refused as the list APIs' contract words it, naming the parameter."""

from __future__ import annotations

import base64
import json

import pytest

from shared.errors import InvalidQueryError
from shared.page_token import (
    NOT_ISSUED,
    decode_page_token,
    encode_page_token,
    exclusive_start_key,
    key_body,
)

BODY = {"k": {"source": "news", "timestamp": "2026-11-15T10:00:00Z"}, "f": "1970", "u": "2026"}


def raw_token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_token_decodes_to_what_was_encoded_and_is_safe_in_a_query_string() -> None:
    token = encode_page_token(BODY)

    assert decode_page_token(token) == BODY
    assert not set(token) - set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_same_body_gives_the_same_token_whatever_its_key_order() -> None:
    reordered = {"u": BODY["u"], "f": BODY["f"], "k": dict(reversed(list(BODY["k"].items())))}

    assert encode_page_token(reordered) == encode_page_token(BODY)


@pytest.mark.parametrize(
    "token", ["not-a-token!", "%%%", raw_token([1, 2]), raw_token("k"), "e30x", "a"]
)
def test_anything_but_an_encoded_object_is_refused_naming_next(token: str) -> None:
    with pytest.raises(InvalidQueryError) as caught:
        decode_page_token(token)

    assert [p.as_json() for p in caught.value.problems] == [
        {"parameter": "next", "reason": NOT_ISSUED}
    ]
    assert caught.value.status == 400 and caught.value.error_code == "INVALID_QUERY"


def test_an_api_words_its_own_refusal_and_names_its_own_parameter() -> None:
    with pytest.raises(InvalidQueryError) as caught:
        decode_page_token("%%%", "not a token of this thread", parameter="cursor")

    assert caught.value.problems[0].as_json() == {
        "parameter": "cursor",
        "reason": "not a token of this thread",
    }


def test_a_last_evaluated_key_comes_back_as_the_exclusive_start_key() -> None:
    last = {"mention_id": "m-1", "timestamp": "2026-11-15T10:00:00Z", "source": "news"}

    body = decode_page_token(encode_page_token({"k": key_body(last)}))

    assert exclusive_start_key(body, fields=last) == last


@pytest.mark.parametrize(
    "key",
    [None, "m-1", {}, {"mention_id": 7}, {"mention_id": "m-1", "extra": "x"}, ["mention_id"]],
)
def test_a_forged_key_never_becomes_a_start_key(key: object) -> None:
    assert exclusive_start_key({"k": key}, fields={"mention_id"}) is None


def test_without_fields_any_key_of_strings_is_taken() -> None:
    assert exclusive_start_key({"k": {"a": "1", "b": "2"}}) == {"a": "1", "b": "2"}
