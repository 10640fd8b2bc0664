"""Per-dataset query credentials (``query_access.py``) and a query's time budget
(``queries.QueryRun``), with a fake STS and a hand-moved clock: one AssumeRole per dataset
while its session lasts, a new one a minute before it ends, STS failures as transient."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.csvchat import query_access
from chalicelib.csvchat.models import QueryLimits
from chalicelib.csvchat.queries import REPLY_MARGIN_SECONDS, QueryRun
from chalicelib.csvchat.query_access import QueryAccess, ScopedAthena
from shared.errors import TransientError

ACCESS = QueryAccess(
    role_arn="arn:aws:iam::123456789012:role/csvchat-query-dev",
    region="eu-north-1",
    uploads_bucket="uploads",
    results_bucket="results",
    results_prefix="query-results/",
    database="csvchat_dev",
    workgroup="csvchat-dev",
)


class FakeSts:
    """AssumeRole's answer: sessions of ``SESSION_SECONDS`` from the clock's now."""

    def __init__(self, clock: list[float], fail: bool = False) -> None:
        self.clock = clock
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def assume_role(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        if self.fail:
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "slow down"}}, "AssumeRole"
            )
        expires = self.clock[0] + query_access.SESSION_SECONDS
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{len(self.calls)}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": datetime.fromtimestamp(expires, UTC),
            }
        }


def scoped(clock: list[float], sts: FakeSts) -> ScopedAthena:
    return ScopedAthena(ACCESS, sts, lambda credentials: dict(credentials), lambda: clock[0])  # type: ignore[arg-type, return-value]


def test_a_dataset_reuses_its_session_until_a_minute_before_it_ends() -> None:
    clock = [1_000_000.0]
    sts = FakeSts(clock)
    clients = scoped(clock, sts)
    first = clients.client("alice", "d1", "ds_d1")
    assert clients.client("alice", "d1", "ds_d1") is first
    clients.client("alice", "d2", "ds_d2")
    assert len(sts.calls) == 2
    clock[0] += query_access.SESSION_SECONDS - query_access.RENEW_BEFORE_SECONDS - 1
    assert clients.client("alice", "d1", "ds_d1") is first
    clock[0] += 1
    assert clients.client("alice", "d1", "ds_d1") is not first
    assert len(sts.calls) == 3


def test_each_session_is_named_for_its_user_and_narrowed_to_the_dataset() -> None:
    sts = FakeSts([0.0])
    scoped([0.0], sts).client("Google_1/23 x", "d1", "ds_d1")
    (request,) = sts.calls
    assert request["RoleArn"] == ACCESS.role_arn
    assert request["RoleSessionName"] == "Google_1-23-x"
    assert request["DurationSeconds"] == query_access.SESSION_SECONDS
    assert '"arn:aws:s3:::uploads/datasets/Google_1/23 x/d1/*"' in request["Policy"]
    assert '"arn:aws:glue:eu-north-1:123456789012:table/csvchat_dev/ds_d1"' in request["Policy"]


def test_sts_failing_is_a_transient_error() -> None:
    with pytest.raises(TransientError, match="scoping the query's credentials failed"):
        scoped([0.0], FakeSts([0.0], fail=True)).client("alice", "d1", "ds_d1")


def test_the_cache_keeps_only_the_latest_sessions() -> None:
    sts = FakeSts([0.0])
    clients = scoped([0.0], sts)
    for n in range(query_access.CACHED_SESSIONS + 1):
        clients.client("alice", f"d{n}", f"ds_d{n}")
    clients.client("alice", f"d{query_access.CACHED_SESSIONS}", "ds_last")
    assert len(sts.calls) == query_access.CACHED_SESSIONS + 1
    clients.client("alice", "d0", "ds_d0")  # the oldest was dropped
    assert len(sts.calls) == query_access.CACHED_SESSIONS + 2


def run(clock: list[float], timeout: float = 20) -> QueryRun:
    limits = QueryLimits(max_rows=10, timeout_seconds=timeout)
    return QueryRun(None, "db", "wg", limits, clock=lambda: clock[0])  # type: ignore[arg-type]


def test_a_query_gets_the_stacks_timeout_or_the_functions_time_less_a_margin() -> None:
    clock = [100.0]
    assert run(clock).until(None).timeout() == 20
    assert run(clock).until(60_000).timeout() == 20
    short = run(clock).until(5_000)
    assert short.timeout() == pytest.approx(5 - REPLY_MARGIN_SECONDS)
    clock[0] += 2
    assert short.timeout() == pytest.approx(1)
    assert run(clock).until(1_000).timeout() < 0
