"""The warm-function cache of company configs, against a moto table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.comms.company_config import CompanyConfigRepository
from tests.conftest import REGION


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name=REGION)
        yield resource.create_table(
            TableName="company-data-test",
            KeySchema=[
                {"AttributeName": "company_id", "KeyType": "HASH"},
                {"AttributeName": "project_id", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "company_id", "AttributeType": "S"},
                {"AttributeName": "project_id", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )


def count_reads(table: Any) -> list[str]:
    reads: list[str] = []
    table.meta.client.meta.events.register(
        "before-call.dynamodb.GetItem", lambda **kw: reads.append("GetItem")
    )
    return reads


def test_a_found_config_is_read_again_only_after_the_cache_period(table: Any) -> None:
    table.put_item(Item={"company_id": "c", "project_id": "p", "project_status": "active"})
    clock = Clock()
    repo = CompanyConfigRepository(table, cache_seconds=30, clock=clock)
    reads = count_reads(table)

    assert repo.get("c", "p")["project_status"] == "active"  # type: ignore[index]
    table.put_item(Item={"company_id": "c", "project_id": "p", "project_status": "paused"})
    clock.now += 29
    assert repo.get("c", "p")["project_status"] == "active"  # type: ignore[index]
    clock.now += 2
    assert repo.get("c", "p")["project_status"] == "paused"  # type: ignore[index]
    assert reads == ["GetItem", "GetItem"]


def test_an_unknown_project_is_not_cached(table: Any) -> None:
    repo = CompanyConfigRepository(table, cache_seconds=30, clock=Clock())
    reads = count_reads(table)

    assert repo.get("c", "p") is None
    table.put_item(Item={"company_id": "c", "project_id": "p", "project_status": "active"})
    assert repo.get("c", "p") is not None
    assert reads == ["GetItem", "GetItem"]
