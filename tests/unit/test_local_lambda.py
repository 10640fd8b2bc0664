"""How the local Lambda service reads a function reference and what a handler's outcome
becomes on the wire (no process started)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.local import LambdaContext

from devstack.declared import function_name
from devstack.services.awslambda.function_host import run_handler

ARN = "arn:aws:lambda:eu-north-1:123456789012:function:trends-detect-dev"


@pytest.mark.parametrize(
    "reference",
    [
        "trends-detect-dev",
        "trends-detect-dev:live",
        ARN,
        f"{ARN}:$LATEST",
        "123456789012:function:trends-detect-dev",
    ],
)
def test_every_form_invoke_accepts_names_the_same_function(reference: str) -> None:
    assert function_name(reference) == "trends-detect-dev"


def context() -> LambdaContext:
    return LambdaContext("fn", 128)


def test_a_returned_value_is_the_json_payload() -> None:
    payload, failed = run_handler(lambda event, ctx: {"got": event}, {"a": 1}, context())
    assert (json.loads(payload), failed) == ({"got": {"a": 1}}, False)


def raises(event: Any, ctx: LambdaContext) -> None:
    raise KeyError("value")


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        (raises, "KeyError"),
        (lambda event, ctx: {1, 2}, "Runtime.MarshalError"),  # a set is not JSON
    ],
)
def test_a_failure_is_lambdas_error_document(handler: Any, error_type: str) -> None:
    payload, failed = run_handler(handler, {}, context())
    document = json.loads(payload)
    assert failed
    assert document["errorType"] == error_type
    assert document["errorMessage"]
