"""The shared DynamoDB error mapper: each boto3 failure becomes the caller's error type
saying what failed, and a failed condition (plain or in a transaction) is told apart by
its code, never by its message."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from shared.dynamo import aws_errors, condition_failed, conditional_write
from shared.errors import TransientError


class StoreError(Exception):
    """An area's own error type."""


class ConflictError(Exception):
    """What an area raises when its condition did not hold."""


def client_error(code: str, reasons: list[dict[str, str]] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": f"{code} happened"}}
    if reasons is not None:
        response["CancellationReasons"] = reasons
    return ClientError(response, "UpdateItem")  # type: ignore[arg-type]


CONDITION = client_error("ConditionalCheckFailedException")
TRANSACTION_CONDITION = client_error(
    "TransactionCanceledException", [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}]
)
TRANSACTION_CONFLICT = client_error(
    "TransactionCanceledException", [{"Code": "TransactionConflict"}, {"Code": "None"}]
)
THROTTLED = client_error("ProvisionedThroughputExceededException")
NO_ANSWER = EndpointConnectionError(endpoint_url="https://dynamodb.eu-north-1.amazonaws.com")


def fail(err: Exception) -> None:
    raise err


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (CONDITION, True),
        (TRANSACTION_CONDITION, True),
        (TRANSACTION_CONFLICT, False),
        (THROTTLED, False),
        (client_error("ValidationException", [{"Code": "ConditionalCheckFailed"}]), False),
    ],
)
def test_a_failed_condition_is_told_by_its_code(err: ClientError, expected: bool) -> None:
    assert condition_failed(err) is expected


@pytest.mark.parametrize("err", [THROTTLED, CONDITION, NO_ANSWER])
def test_any_boto3_failure_becomes_the_areas_error_saying_what_failed(err: Exception) -> None:
    with (
        pytest.raises(StoreError, match=r"^reading a patch failed: ") as caught,
        aws_errors("reading a patch", StoreError),
    ):
        fail(err)

    assert caught.value.__cause__ is err


def test_the_default_error_is_transient() -> None:
    with pytest.raises(TransientError, match="storing usage failed"), aws_errors("storing usage"):
        fail(THROTTLED)


@pytest.mark.parametrize("err", [CONDITION, TRANSACTION_CONDITION])
def test_a_failed_condition_raises_what_the_caller_names(err: ClientError) -> None:
    with (
        pytest.raises(ConflictError) as caught,
        aws_errors("saving", StoreError, on_condition=lambda: ConflictError("moved on")),
    ):
        fail(err)

    assert caught.value.__cause__ is err


def test_with_on_condition_other_failures_are_still_the_areas_error() -> None:
    with (
        pytest.raises(StoreError),
        aws_errors("saving", StoreError, on_condition=lambda: ConflictError("moved on")),
    ):
        fail(TRANSACTION_CONFLICT)


def test_errors_that_are_not_boto3s_pass_through_unchanged() -> None:
    with pytest.raises(KeyError), aws_errors("reading", StoreError):
        fail(KeyError("cursor"))


def test_as_a_decorator_it_maps_every_call_and_returns_the_result() -> None:
    calls: list[Exception | None] = [None, THROTTLED]

    @aws_errors("counting", StoreError)
    def count(n: int) -> int:
        err = calls.pop(0)
        if err is not None:
            raise err
        return n + 1

    assert count(1) == 2
    with pytest.raises(StoreError, match="counting failed"):
        count(2)


@pytest.mark.parametrize(
    ("err", "written"), [(None, True), (CONDITION, False), (TRANSACTION_CONDITION, False)]
)
def test_a_conditional_write_says_whether_it_was_written(
    err: ClientError | None, written: bool
) -> None:
    def write() -> None:
        if err is not None:
            raise err

    assert conditional_write(write, "planning a video") is written


@pytest.mark.parametrize("err", [THROTTLED, TRANSACTION_CONFLICT, NO_ANSWER])
def test_a_conditional_write_raises_the_callers_error_on_any_other_failure(
    err: Exception,
) -> None:
    with pytest.raises(StoreError, match="recording a stage failed"):
        conditional_write(lambda: fail(err), "recording a stage", StoreError)
