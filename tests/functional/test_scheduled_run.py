"""The shared lease of a scheduled run, on a moto table whose item names are not the
defaults (each system keeps its own item shape): who may take it, when it passes on,
that it is given up however the work ends, and that a held lease skips the run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from shared.errors import TransientError
from shared.scheduled_run import SKIPPED, Lease, LeaseAttributes, Leases, run_under_lease
from tests.conftest import REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

NAMES = LeaseAttributes(key="pk", owner="holder", expires_at="held_until")
NOW = 1_800_000_000


@pytest.fixture
def table() -> Iterator[Table]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        yield dynamodb.create_table(
            TableName="run-state",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def leases(table: Table, at: float = NOW) -> Leases:
    return Leases(table, NAMES, clock=lambda: at)


def item(table: Table) -> dict[str, Any]:
    return dict(table.get_item(Key={"pk": "fetch#p1"}, ConsistentRead=True).get("Item") or {})


def test_a_free_lease_is_taken_with_the_systems_own_attribute_names(table: Table) -> None:
    table.put_item(Item={"pk": "fetch#p1", "cursor": "2026-11-01T00:00:00Z"})

    lease = leases(table).acquire("fetch#p1", "run-1", 600)

    assert lease is not None and lease.item["cursor"] == "2026-11-01T00:00:00Z"
    assert item(table) == {
        "pk": "fetch#p1",
        "cursor": "2026-11-01T00:00:00Z",
        "holder": "run-1",
        "held_until": NOW + 600,
    }


def test_a_held_lease_is_refused_to_others_until_it_expires(table: Table) -> None:
    assert leases(table).acquire("fetch#p1", "run-1", 600) is not None

    assert leases(table, NOW + 599).acquire("fetch#p1", "run-2", 600) is None
    assert leases(table, NOW + 601).acquire("fetch#p1", "run-2", 600) is not None
    assert item(table)["holder"] == "run-2"


def test_the_holder_takes_its_own_lease_back(table: Table) -> None:
    assert leases(table).acquire("fetch#p1", "run-1", 600) is not None

    again = leases(table, NOW + 10).acquire("fetch#p1", "run-1", 600)

    assert again is not None and item(table)["held_until"] == NOW + 610


def test_a_released_lease_is_free_and_only_its_holder_can_release_it(table: Table) -> None:
    store = leases(table)
    held = store.acquire("fetch#p1", "run-1", 600)
    assert held is not None

    store.release(Lease("fetch#p1", "someone-else"))
    assert item(table)["holder"] == "run-1"

    store.release(held)
    assert "holder" not in item(table) and "held_until" not in item(table)
    assert store.acquire("fetch#p1", "run-2", 600) is not None


def test_renewing_extends_a_held_lease_and_fails_once_it_was_taken_over(table: Table) -> None:
    held = leases(table).acquire("fetch#p1", "run-1", 600)
    assert held is not None

    assert leases(table, NOW + 500).renew(held, 600) is True
    assert item(table)["held_until"] == NOW + 1100

    assert leases(table, NOW + 1200).acquire("fetch#p1", "run-2", 600) is not None
    assert leases(table, NOW + 1200).renew(held, 600) is False
    assert item(table)["holder"] == "run-2"


def test_held_by_makes_a_write_conditional_on_holding_the_lease(table: Table) -> None:
    store = leases(table)
    held = store.acquire("fetch#p1", "run-1", 600)
    assert held is not None

    def move(to: str, lease: Lease) -> None:
        condition = store.held_by(lease)
        table.update_item(
            Key={"pk": "fetch#p1"},
            UpdateExpression="SET #c = :c",
            ConditionExpression=condition["ConditionExpression"],
            ExpressionAttributeNames={"#c": "cursor", **condition["ExpressionAttributeNames"]},
            ExpressionAttributeValues={":c": to, **condition["ExpressionAttributeValues"]},
        )

    move("2026-11-02T00:00:00Z", held)
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        move("2026-11-03T00:00:00Z", Lease("fetch#p1", "run-2"))
    assert item(table)["cursor"] == "2026-11-02T00:00:00Z"


def test_a_run_does_its_work_under_the_lease_then_releases_it(table: Table) -> None:
    seen: list[str] = []

    def work(lease: Lease) -> str:
        seen.append(item(table)["holder"])
        return "done"

    assert run_under_lease(leases(table), "fetch#p1", "run-1", 600, work) == "done"
    assert seen == ["run-1"]
    assert "holder" not in item(table)


def test_a_run_that_raises_still_releases_its_lease(table: Table) -> None:
    def work(lease: Lease) -> None:
        raise TransientError("the outside API failed")

    with pytest.raises(TransientError, match="the outside API failed"):
        run_under_lease(leases(table), "fetch#p1", "run-1", 600, work)
    assert "holder" not in item(table)


def test_a_run_finding_the_lease_held_is_skipped_without_working(table: Table) -> None:
    assert leases(table).acquire("fetch#p1", "slow-run", 600) is not None
    worked: list[Lease] = []

    outcome = run_under_lease(leases(table), "fetch#p1", "next-run", 600, worked.append)

    assert outcome == SKIPPED and worked == []
    assert item(table)["holder"] == "slow-run"


class FailingRelease(Leases):
    def release(self, lease: Lease) -> None:
        raise TransientError("releasing failed")


def test_a_failed_release_goes_to_its_handler_or_is_raised(table: Table) -> None:
    told: list[str] = []
    store = FailingRelease(table, NAMES, clock=lambda: NOW)

    result = run_under_lease(
        store, "a", "run-1", 600, lambda _: 7, lambda err: told.append(str(err))
    )

    assert result == 7 and told == ["releasing failed"]
    with pytest.raises(TransientError, match="releasing failed"):
        run_under_lease(store, "b", "run-1", 600, lambda _: 7)
