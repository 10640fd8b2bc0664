"""patches infrastructure (seed 001), every stack: tables and their indexes, the bucket, the
queues between the functions, the three schedules and their targets, least privilege per
function, alarms, dashboard and outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.patches import env, names
from chalicelib.patches.config import IngesterConfig
from devstack.program import DeclaredResource, RecordingMocks
from shared.names import physical
from tests.infra.conftest import STACKS, fixtures_of, policy_statements, setting, system_setting

# patches declared alone, for each stack.
stacks, stack = fixtures_of("patches")

TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FUNCTIONS = {
    "APIHandler": "patches-api-handler",
    "FetchRecentPatches": "patches-fetch-recent-patches",
    "RefreshPatches": "patches-refresh-patches",
    "RefreshDiscussions": "patches-refresh-discussions",
    "RefreshSlice": "patches-refresh-slice",
    "RefreshThreads": "patches-refresh-threads",
}


def patches_setting(stack: str) -> dict[str, Any]:
    return system_setting(stack, "patches")


def keys(index: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["attributeName"], k["keyType"]) for k in index["keySchemas"]]


@pytest.mark.parametrize("name", STACKS)
def test_the_tables_have_the_seed_keys_and_indexes_and_the_stacks_protection(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    patches = stack.named(TABLE, physical("patches", name))
    discussions = stack.named(TABLE, physical("discussions", name))

    assert (patches.inputs["hashKey"], patches.inputs.get("rangeKey")) == ("id", None)
    assert {i["name"]: keys(i) for i in patches.inputs["globalSecondaryIndexes"]} == {
        "SubmitterIndex": [("submitter_key", "HASH"), ("date", "RANGE")],
        "SeriesIndex": [("series_key", "HASH"), ("date", "RANGE")],
        "StatusIndex": [("status_key", "HASH"), ("date", "RANGE")],
    }
    assert (discussions.inputs["hashKey"], discussions.inputs["rangeKey"]) == ("id", "timestamp")
    assert {i["name"]: keys(i) for i in discussions.inputs["globalSecondaryIndexes"]} == {
        "PatchIndex": [("patch_id", "HASH"), ("timestamp", "RANGE")],
        "ThreadIndex": [("thread_id", "HASH"), ("thread_path", "RANGE")],
        "AuthorIndex": [("author_key", "HASH"), ("timestamp", "RANGE")],
    }
    protected = setting(name, "protectData")
    for table in (
        patches,
        discussions,
        stack.named(TABLE, physical("patches-ingester-state", name)),
    ):
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
        assert table.inputs["serverSideEncryption"] == {"enabled": True}
        assert table.inputs["pointInTimeRecovery"]["enabled"] is protected
        assert table.inputs["deletionProtectionEnabled"] is protected
        assert stack.is_protected(table) is protected
        assert table.inputs["tags"]["system"] == "patches"


@pytest.mark.parametrize("name", STACKS)
def test_large_bodies_go_to_a_private_encrypted_bucket_of_the_stack(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    (bucket,) = (
        b for b in stack.of_type("aws:s3/bucket:Bucket") if b.inputs["tags"]["system"] == "patches"
    )
    assert bucket.inputs["bucket"].startswith(physical("patches-message-bodies", name) + "-")
    assert stack.is_protected(bucket) is setting(name, "protectData")

    def of_bucket(type_: str) -> list[DeclaredResource]:
        return [r for r in stack.of_type(type_) if r.inputs["bucket"] == bucket.id]

    (encryption,) = of_bucket(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"
    }
    (private,) = of_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        private.inputs[flag] is True
        for flag in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    versioned = of_bucket("aws:s3/bucketVersioning:BucketVersioning")
    assert bool(versioned) is setting(name, "protectData")


@pytest.mark.parametrize("name", STACKS)
def test_the_thread_and_slice_queues_feed_their_workers_with_a_dlq_after_three_receives(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    configured = patches_setting(name)
    mappings = {
        m.inputs["eventSourceArn"]: m
        for m in stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    }
    for queue_name, dlq_name, worker, batch, key in (
        (names.THREAD_QUEUE_NAME, names.THREAD_DLQ_NAME, "RefreshThreads", 10, "threadQueue"),
        (names.SLICE_QUEUE_NAME, names.SLICE_DLQ_NAME, "RefreshSlice", 1, "sliceQueue"),
    ):
        queue = stack.named(QUEUE, physical(queue_name, name))
        dlq = stack.named(QUEUE, physical(dlq_name, name))
        redrive = json.loads(queue.inputs["redrivePolicy"])
        assert redrive == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 3}
        assert (
            queue.inputs["visibilityTimeoutSeconds"]
            == (configured[key]["visibilityTimeoutSeconds"])
        )
        mapping = mappings[queue.outputs["arn"]]
        function = stack.named(FUNCTION, physical(FUNCTIONS[worker], name))
        assert mapping.inputs["functionName"] == function.outputs["arn"]
        assert mapping.inputs["batchSize"] == batch
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        (alarm,) = (
            a
            for a in stack.of_type(ALARM)
            if a.inputs.get("dimensions") == {"QueueName": dlq.outputs["name"]}
        )
        assert alarm.inputs["threshold"] == 1


def rules_of(stack: RecordingMocks) -> dict[str, DeclaredResource]:
    """The patches schedule rules by the handler they run."""
    return {
        r.inputs["description"].split()[1]: r
        for r in stack.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.inputs["tags"]["system"] == "patches"
    }


@pytest.mark.parametrize("name", STACKS)
def test_three_schedules_run_their_functions_with_retries_and_a_dlq(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    configured = patches_setting(name)
    rules = rules_of(stack)
    assert {logical: rule.inputs["scheduleExpression"] for logical, rule in rules.items()} == {
        "FetchRecentPatches": configured["recentSchedule"],
        "RefreshPatches": configured["refreshSchedule"],
        "RefreshDiscussions": configured["discussionSchedule"],
    }
    assert configured["refreshSchedule"] == "cron(0 3 * * ? *)"  # 03:00 UTC
    assert "SUN" in configured["discussionSchedule"]
    failed_events = stack.named(QUEUE, physical("patches-failed-events", name))
    targets = {t.inputs["rule"]: t for t in stack.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    for logical, rule in rules.items():
        function = stack.named(FUNCTION, physical(FUNCTIONS[logical], name))
        target = targets[rule.outputs["name"]]
        assert target.inputs["arn"] == function.outputs["arn"]
        assert target.inputs["deadLetterConfig"] == {"arn": failed_events.outputs["arn"]}
        assert target.inputs["retryPolicy"]["maximumRetryAttempts"] == 2
        (permission,) = (
            p
            for p in stack.of_type("aws:lambda/permission:Permission")
            if p.inputs.get("sourceArn") == rule.outputs["arn"]
        )
        assert permission.inputs["function"] == function.inputs["name"]


def grants(stack: RecordingMocks, function: str) -> dict[str, tuple[list[str], list[str]]]:
    return {
        s["Sid"]: (sorted(s["Action"]), s["Resource"])
        for p, s in policy_statements(stack)
        if p.inputs["name"] == f"{function}-policy"
    }


@pytest.mark.parametrize("name", STACKS)
def test_each_patches_function_may_touch_only_what_it_uses(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]

    def arn(type_: str, base: str) -> str:
        return str(stack.named(type_, physical(base, name)).outputs["arn"])

    patches, discussions = arn(TABLE, "patches"), arn(TABLE, "discussions")
    state = arn(TABLE, "patches-ingester-state")
    threads, slices = arn(QUEUE, names.THREAD_QUEUE_NAME), arn(QUEUE, names.SLICE_QUEUE_NAME)
    failed = arn(QUEUE, "patches-failed-events")
    (bucket,) = (
        b for b in stack.of_type("aws:s3/bucket:Bucket") if b.inputs["tags"]["system"] == "patches"
    )
    sqs_consumer = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    fetcher = {
        "StorePatches": (
            ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"],
            [patches],
        ),
        "CursorsAndBreaker": (["dynamodb:GetItem", "dynamodb:UpdateItem"], [state]),
        "QueueThreads": (["sqs:SendMessage"], [threads]),
    }
    keep_failed = {"KeepFailedEvents": (["sqs:SendMessage"], [failed])}
    expected = {
        "APIHandler": {
            "ReadPatch": (["dynamodb:GetItem"], [patches]),
            "QueryPatchIndexes": (
                ["dynamodb:Query"],
                [f"{patches}/index/{i}" for i in ("SubmitterIndex", "SeriesIndex", "StatusIndex")],
            ),
            "QueryThreads": (["dynamodb:Query"], [f"{discussions}/index/ThreadIndex"]),
        },
        "FetchRecentPatches": fetcher | keep_failed,
        "RefreshSlice": fetcher | {"ConsumeOwnQueue": (sqs_consumer, [slices])},
        "RefreshPatches": {"QueueSlices": (["sqs:SendMessage"], [slices])} | keep_failed,
        "RefreshDiscussions": {
            "QueryPatchesByState": (["dynamodb:Query"], [f"{patches}/index/StatusIndex"]),
            "QueueThreads": (["sqs:SendMessage"], [threads]),
        }
        | keep_failed,
        "RefreshThreads": {
            "ConsumeOwnQueue": (sqs_consumer, [threads]),
            "StoreDiscussions": (["dynamodb:BatchWriteItem"], [discussions]),
            "ReadThreads": (["dynamodb:Query"], [f"{discussions}/index/ThreadIndex"]),
            "LinkThreads": (["dynamodb:UpdateItem"], [patches]),
            "StoreLargeBodies": (["s3:PutObject"], [f"{bucket.outputs['arn']}/*"]),
            "SharedBreakerState": (["dynamodb:GetItem", "dynamodb:UpdateItem"], [state]),
        },
    }
    for logical, statements in expected.items():
        found = grants(stack, physical(FUNCTIONS[logical], name))
        found.pop("WriteOwnLogs")
        assert found == statements, logical


@pytest.mark.parametrize("name", STACKS)
def test_the_functions_are_told_their_resources_and_the_stacks_settings(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    configured = patches_setting(name)
    recent = stack.function_environment(physical(FUNCTIONS["FetchRecentPatches"], name))
    worker = stack.function_environment(physical(FUNCTIONS["RefreshThreads"], name))

    assert recent[env.PATCHES_TABLE] == physical("patches", name)
    assert json.loads(recent[env.PATCHWORK_PROJECTS]) == configured["projects"]
    assert recent[env.THREAD_QUEUE_URL].endswith(physical(names.THREAD_QUEUE_NAME, name))
    config = IngesterConfig.model_validate_json(recent[env.INGESTER_CONFIG])
    assert config.page_size == configured["pageSize"] == 250
    assert config.breaker_failures == configured["breakerFailures"]
    assert worker[env.MESSAGE_BODIES_BUCKET].startswith(physical("patches-message-bodies", name))
    for variables in (recent, worker):  # the real services in AWS
        assert env.PATCHWORK_URL not in variables
        assert env.LORE_URL not in variables


@pytest.mark.parametrize("name", STACKS)
def test_the_alarms_notify_the_patches_topic(stacks: dict[str, RecordingMocks], name: str) -> None:
    stack = stacks[name]
    topic = stack.named("aws:sns/topic:Topic", physical("patches-alerts", name))
    alarms = {
        a.inputs["name"]: a
        for a in stack.of_type(ALARM)
        if a.inputs["alarmActions"] == [topic.outputs["arn"]]
    }
    assert set(alarms) == {
        *(physical(f, name) + "-errors" for f in FUNCTIONS.values()),
        f"patches-{name}-5xx-rate",
        physical(names.THREAD_DLQ_NAME, name) + "-not-empty",
        physical(names.SLICE_DLQ_NAME, name) + "-not-empty",
        physical("patches-failed-events", name) + "-not-empty",
        physical("patches-patchwork-error-rate", name),
        physical("patches-lore-error-rate", name),
        physical("patches-patchwork-breaker-open", name),
        physical("patches-lore-breaker-open", name),
        physical("patches-no-successful-run", name),
    }
    breaker = alarms[physical("patches-lore-breaker-open", name)].inputs
    assert (breaker["namespace"], breaker["metricName"], breaker["statistic"]) == (
        names.PATCHES_METRICS_NAMESPACE,
        "LoreBreakerOpen",
        "Maximum",
    )
    assert breaker["dimensions"] == {"service": names.PATCHES_METRICS_SERVICE}
    stale = alarms[physical("patches-no-successful-run", name)].inputs
    assert (
        stale["period"] * stale["evaluationPeriods"]
        == 3600 * (patches_setting(name)["staleAfterHours"])
    )
    assert stale["treatMissingData"] == "breaching"


@pytest.mark.parametrize("name", STACKS)
def test_the_dashboard_shows_the_runs_the_services_the_queues_and_the_api(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    (board,) = (
        b
        for b in stack.of_type("aws:cloudwatch/dashboard:Dashboard")
        if b.inputs["dashboardName"] == physical("patches", name)
    )
    metrics = [
        m
        for w in json.loads(board.inputs["dashboardBody"])["widgets"]
        for m in w["properties"]["metrics"]
    ]
    ours = {m[1] for m in metrics if m[0] == names.PATCHES_METRICS_NAMESPACE}
    assert ours >= {
        "PatchesFetched",
        "PatchesNew",
        "PatchesUpdated",
        "ThreadsStored",
        "MessagesStored",
        "MessagesMalformed",
        "PatchworkApiLatency",
        "LoreApiLatency",
        "PatchworkApiErrors",
        "LoreApiErrors",
        "PatchworkBreakerOpen",
        "LoreBreakerOpen",
    }
    assert all(
        m[2:4] == ["service", names.PATCHES_METRICS_SERVICE]
        for m in metrics
        if m[0] == names.PATCHES_METRICS_NAMESPACE
    ), "the alarms and the dashboard must use the dimension powertools writes"
    assert {m[3] for m in metrics if m[0] == "AWS/Lambda"} == {
        physical(f, name) for f in FUNCTIONS.values()
    }
    assert {m[3] for m in metrics if m[0] == "AWS/SQS"} == {
        physical(q, name)
        for q in (names.THREAD_QUEUE_NAME, names.THREAD_DLQ_NAME, names.SLICE_QUEUE_NAME)
    }


@pytest.mark.parametrize("name", STACKS)
def test_the_stack_exports_what_operators_of_patches_need(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    outputs = stacks[name].stack_outputs
    assert outputs["patches_table"] == physical("patches", name)
    assert outputs["discussions_table"] == physical("discussions", name)
    assert outputs["patches_api_url"].endswith(f"/{name}")
    assert outputs["patches_thread_queue_url"].endswith(physical(names.THREAD_QUEUE_NAME, name))
    assert outputs["patches_message_bodies_bucket"].startswith(
        physical("patches-message-bodies", name)
    )
    assert outputs["patches_dashboard"] == physical("patches", name)
    assert "patches_api_key_id" in outputs
