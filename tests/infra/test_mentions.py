"""mentions infrastructure (seed 000): so far, the table."""

from __future__ import annotations

import pytest

from shared.local.program import RecordingMocks
from shared.names import physical
from tests.infra.conftest import STACKS, setting


@pytest.mark.parametrize("name", STACKS)
def test_the_mentions_table_has_the_seed_schema_and_a_ttl(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    table = stack.named("aws:dynamodb/table:Table", physical("mentions", name))

    assert (table.inputs["hashKey"], table.inputs["rangeKey"]) == ("mention_id", "timestamp")
    (gsi,) = table.inputs["globalSecondaryIndexes"]
    assert gsi["name"] == "source-timestamp-index"
    assert [(k["attributeName"], k["keyType"]) for k in gsi["keySchemas"]] == [
        ("source", "HASH"),
        ("timestamp", "RANGE"),
    ]
    assert table.inputs["ttl"] == {"attributeName": "expires_at", "enabled": True}
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["pointInTimeRecovery"]["enabled"] is (name == "prod")
    assert stack.is_protected(table) is (name == "prod")
    assert table.inputs["tags"]["system"] == "mentions"
    assert stack.stack_outputs["mentions_table"] == physical("mentions", name)


def test_retention_is_a_stack_setting_that_differs_by_stack() -> None:
    assert setting("dev", "mentionsRetentionDays") < setting("prod", "mentionsRetentionDays")
