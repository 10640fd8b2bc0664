"""The shared request-body parser, DynamoDB storability checks and query-parameter checks:
the edges that would otherwise end in a 500, or in a message that fails forever later."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from shared.errors import (
    FieldProblem,
    InvalidQueryError,
    MalformedJsonError,
    NestingTooDeepError,
    ParameterProblem,
)
from shared.json_body import MAX_NESTING, parse_json_object
from shared.query import checked_parameters
from shared.storable import dynamo_value, storage_problems


def nested(depth: int) -> str:
    """An object whose innermost value sits ``depth`` levels deep (the body is level 1)."""
    return '{"a": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize("raw", ["[" * 969 + "]" * 969, "[" * 200_000, nested(MAX_NESTING + 1)])
def test_a_body_nested_too_deep_is_refused_before_it_is_parsed(raw: str) -> None:
    with pytest.raises(NestingTooDeepError) as caught:
        parse_json_object(raw)
    assert f"more than {MAX_NESTING} levels" in caught.value.message
    assert caught.value.status == 400


def test_a_body_at_the_limit_is_accepted() -> None:
    assert parse_json_object(nested(MAX_NESTING))["a"]


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = json.dumps({"a": "[" * 1000, "b": '\\"{{{{' + "{" * 100, "c": "\u00e9[["})
    assert parse_json_object(text) == json.loads(text)


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe{", b"", None, "{not json", "[1, 2]", '"text"', '{"a": NaN}', '{"a": -Infinity}'],
)
def test_what_is_not_a_json_object_is_malformed(raw: bytes | str | None) -> None:
    with pytest.raises(MalformedJsonError):
        parse_json_object(raw)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"": "x"}, FieldProblem("body", "has an empty key")),
        ({"project_data": {"a": [{"": 1}]}}, FieldProblem("project_data.a.0", "has an empty key")),
        (
            {"n": 10**38},
            FieldProblem("n", "has more than the 38 significant digits DynamoDB stores"),
        ),
        ({"n": 1e126}, None),
        ({"n": 5e-324}, None),
        ({"n": float("inf")}, FieldProblem("n", "must be a finite number")),
        ({"s": "\ud800"}, FieldProblem("s", "is not valid Unicode (unpaired surrogate)")),
    ],
)
def test_what_dynamodb_would_refuse_is_named_by_its_path(
    value: dict[str, Any], problem: FieldProblem | None
) -> None:
    (found,) = storage_problems(value)
    if problem is not None:
        assert found == problem
    else:
        assert found.reason.startswith("is outside the numbers DynamoDB stores")


STORABLE = {
    "salary": 1.5,
    "ratio": 0.1,
    "big": 1e125,
    "count": 10**37,
    "negative": -2.5e-100,
    "flag": True,
    "nested": [{"x": 1.25, "y": None, "z": ["é", "😀"]}],
}


def test_storable_json_passes_and_is_stored_with_decimals_boto3_accepts() -> None:
    assert storage_problems(STORABLE) == []

    stored = dynamo_value(STORABLE)

    assert stored["salary"] == Decimal("1.5")
    assert stored["ratio"] == Decimal("0.1")
    assert stored["nested"][0]["x"] == Decimal("1.25")
    assert stored["flag"] is True
    TypeSerializer().serialize(stored)  # raises on a float or a number out of its context


def test_every_problem_is_reported_at_once_in_path_order() -> None:
    problems = storage_problems({"b": {"": 1}, "a": 10**40}, "project_data")
    assert [p.field for p in problems] == ["project_data.a", "project_data.b"]


@pytest.mark.parametrize(
    ("query", "problems"),
    [
        ({"id": "1", "sort": "asc"}, [ParameterProblem("sort", "unknown parameter")]),
        ({}, [ParameterProblem("id", "required")]),
        ({"id": ""}, [ParameterProblem("id", "must not be empty")]),
    ],
)
def test_unknown_missing_and_empty_parameters_are_each_named(
    query: dict[str, str], problems: list[ParameterProblem]
) -> None:
    with pytest.raises(InvalidQueryError) as caught:
        checked_parameters(query, required=["id"], optional=["page"])
    assert list(caught.value.problems) == problems


def test_known_parameters_pass() -> None:
    assert checked_parameters({"id": "1", "page": "2"}, ["id"], ["page"]) == {
        "id": "1",
        "page": "2",
    }
