"""How patches' repositories talk to AWS: every boto3 failure becomes a ``DatabaseError`` (a
``QueueError`` for SQS) in one place (the seed's error decorator), and a page of a query is
one shape everywhere."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.patches.exceptions import DatabaseError, PatchesError

P = ParamSpec("P")
R = TypeVar("R")

CONDITION_FAILED = "ConditionalCheckFailedException"


def database_errors(
    what: str, error: type[PatchesError] = DatabaseError
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a repository method so any boto3 failure (after boto3's own retries) is
    raised as ``error`` (``DatabaseError``) saying ``what`` failed, with the cause chained."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except (ClientError, BotoCoreError) as err:
                raise error(f"{what} failed: {err}") from err

        return wrapped

    return decorate


def condition_failed(err: ClientError) -> bool:
    return err.response["Error"]["Code"] == CONDITION_FAILED


@dataclass(frozen=True)
class Page:
    """One page of a query: its items, and the key to continue from (None on the last)."""

    items: list[dict[str, Any]]
    last_key: dict[str, Any] | None
