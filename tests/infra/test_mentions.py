"""mentions infrastructure (seed 000): tables, schedule, least privilege, alarms, dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.mentions import env, names
from devstack.program import DeclaredResource, RecordingMocks
from infra.components.chalice_package import load_package
from shared.names import physical
from tests.infra.conftest import STACKS, fixtures_of, policy_statements, setting, system_setting

# mentions declared alone, for each stack.
stacks, stack = fixtures_of("mentions")

FUNCTION = "aws:lambda/function:Function"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


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
    assert table.inputs["pointInTimeRecovery"]["enabled"] is setting(name, "protectData")
    assert stack.is_protected(table) is setting(name, "protectData")
    assert table.inputs["tags"]["system"] == "mentions"
    assert stack.stack_outputs["mentions_table"] == physical("mentions", name)


def mentions_setting(stack: str) -> dict[str, Any]:
    return system_setting(stack, "mentions")


def test_retention_and_staleness_are_stack_settings_that_differ_by_stack() -> None:
    dev, prod = mentions_setting("dev"), mentions_setting("prod")
    assert dev["retentionDays"] < prod["retentionDays"]
    assert dev["staleAfterHours"] > prod["staleAfterHours"]


@pytest.mark.parametrize("name", STACKS)
def test_the_ingester_state_table_is_keyed_by_state_key(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    table = stack.named("aws:dynamodb/table:Table", physical("mentions-ingester-state", name))
    assert table.inputs["hashKey"] == "state_key"
    assert "rangeKey" not in table.inputs
    assert stack.is_protected(table) is setting(name, "protectData")


def statements_of(stack: RecordingMocks, function: str) -> dict[str, dict[str, Any]]:
    return {
        s["Sid"]: s for p, s in policy_statements(stack) if p.inputs["name"] == f"{function}-policy"
    }


def arn_of(stack: RecordingMocks, type_: str, name: str) -> str:
    return str(stack.named(type_, name).outputs["arn"])


@pytest.mark.parametrize("name", STACKS)
def test_the_ingester_runs_on_the_configured_schedule(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    ingester = stack.named(FUNCTION, physical("mentions-ingest-mentions", name))
    (rule,) = (
        r
        for r in stack.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.inputs["tags"]["system"] == "mentions"
    )
    (target,) = (
        t
        for t in stack.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.inputs["rule"] == rule.outputs["name"]
    )
    (permission,) = (
        p
        for p in stack.of_type("aws:lambda/permission:Permission")
        if p.inputs["principal"] == "events.amazonaws.com"
        and p.inputs["sourceArn"] == rule.outputs["arn"]
    )
    assert rule.inputs["scheduleExpression"] == mentions_setting(name)["schedule"]
    assert target.inputs["arn"] == ingester.outputs["arn"]
    assert permission.inputs["sourceArn"] == rule.outputs["arn"]
    assert permission.inputs["function"] == ingester.inputs["name"]
    assert rule.inputs["tags"]["system"] == "mentions"


@pytest.mark.parametrize("name", STACKS)
def test_the_ingester_is_told_its_tables_secret_projects_and_window(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    variables = stacks[name].function_environment(physical("mentions-ingest-mentions", name))
    configured = mentions_setting(name)
    timeout = load_package("mentions").handlers["IngestMentions"].timeout_seconds
    assert variables[env.MENTIONS_TABLE] == physical("mentions", name)
    assert variables[env.INGESTER_STATE_TABLE] == physical("mentions-ingester-state", name)
    assert variables[env.MENTIONMIND_SECRET_NAME] == physical("mentionmind/api-key", name)
    assert variables[env.MENTIONS_RETENTION_DAYS] == str(configured["retentionDays"])
    assert json.loads(variables[env.MENTIONMIND_PROJECT_IDS]) == configured["projectIds"]
    assert json.loads(variables[env.INGESTION_WINDOW]) == {
        "firstRunLookbackHours": configured["firstRunLookbackHours"],
        "overlapMinutes": configured["overlapMinutes"],
        "maxWindowHours": configured["maxWindowHours"],
        # The lease outlives the longest run.
        "leaseSeconds": timeout + 60,
    }
    assert env.MENTIONMIND_BASE_URL not in variables  # the real service in AWS


@pytest.mark.parametrize("name", STACKS)
def test_each_mentions_function_may_touch_only_what_it_uses(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    table = "aws:dynamodb/table:Table"
    mentions = arn_of(stack, table, physical("mentions", name))
    state = arn_of(stack, table, physical("mentions-ingester-state", name))
    secret = arn_of(
        stack, "aws:secretsmanager/secret:Secret", physical("mentionmind/api-key", name)
    )
    ingester = statements_of(stack, physical("mentions-ingest-mentions", name))
    reader = statements_of(stack, physical("mentions-api-handler", name))

    def grants(statement: dict[str, Any]) -> tuple[list[str], list[str]]:
        return sorted(statement["Action"]), statement["Resource"]

    assert set(ingester) == {
        "WriteOwnLogs",
        "StoreMentions",
        "LeaseAndCursor",
        "ReadMentionMindKey",
        "KeepFailedEvents",
    }
    assert grants(ingester["KeepFailedEvents"]) == (
        ["sqs:SendMessage"],
        [
            stack.named("aws:sqs/queue:Queue", physical("mentions-failed-events", name)).outputs[
                "arn"
            ]
        ],
    )
    assert grants(ingester["StoreMentions"]) == (["dynamodb:PutItem"], [mentions])
    assert grants(ingester["LeaseAndCursor"]) == (
        ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        [state],
    )
    assert grants(ingester["ReadMentionMindKey"]) == (["secretsmanager:GetSecretValue"], [secret])
    assert set(reader) == {"WriteOwnLogs", "QueryMentionsBySource"}
    assert grants(reader["QueryMentionsBySource"]) == (
        ["dynamodb:Query"],
        [f"{mentions}/index/source-timestamp-index"],
    )


def alarms_on(stack: RecordingMocks, topic_arn: str) -> dict[str, DeclaredResource]:
    return {
        a.inputs["name"]: a for a in stack.of_type(ALARM) if a.inputs["alarmActions"] == [topic_arn]
    }


@pytest.mark.parametrize("name", STACKS)
def test_the_alarms_notify_the_mentions_topic_which_emails_the_stack_address(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    topic = stack.named("aws:sns/topic:Topic", physical("mentions-alerts", name))
    (subscription,) = (
        s
        for s in stack.of_type("aws:sns/topicSubscription:TopicSubscription")
        if s.inputs["topic"] == topic.outputs["arn"]
    )
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == (
        "email",
        setting(name, "alarmEmail"),
    )
    alarms = alarms_on(stack, topic.outputs["arn"])
    assert set(alarms) == {
        physical("mentions-ingest-mentions", name) + "-errors",
        physical("mentions-api-handler", name) + "-errors",
        physical("mentions-mentionmind-error-rate", name),
        physical("mentions-no-successful-run", name),
        f"mentions-{name}-5xx-rate",
        physical("mentions-failed-events", name) + "-not-empty",
    }
    for function in ("mentions-ingest-mentions", "mentions-api-handler"):
        errors = alarms[physical(function, name) + "-errors"]
        assert (errors.inputs["namespace"], errors.inputs["metricName"]) == ("AWS/Lambda", "Errors")
        assert errors.inputs["dimensions"] == {"FunctionName": physical(function, name)}


@pytest.mark.parametrize("name", STACKS)
def test_no_successful_run_for_n_hours_alarms_even_when_nothing_reports(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    alarm = stacks[name].named(ALARM, physical("mentions-no-successful-run", name))
    inputs = alarm.inputs
    assert (inputs["namespace"], inputs["metricName"]) == (
        names.MENTIONS_METRICS_NAMESPACE,
        "SuccessfulRuns",
    )
    assert inputs["dimensions"] == {"service": names.MENTIONS_INGESTER_SERVICE}
    assert inputs["period"] * inputs["evaluationPeriods"] == (
        3600 * mentions_setting(name)["staleAfterHours"]
    )
    assert (inputs["statistic"], inputs["comparisonOperator"], inputs["threshold"]) == (
        "Sum",
        "LessThanThreshold",
        1,
    )
    assert inputs["treatMissingData"] == "breaching"  # a function that stopped reports nothing


@pytest.mark.parametrize("name", STACKS)
def test_the_mentionmind_error_rate_alarm_divides_errors_by_calls(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    alarm = stacks[name].named(ALARM, physical("mentions-mentionmind-error-rate", name))
    queries = {q["id"]: q for q in alarm.inputs["metricQueries"]}
    assert queries["rate"]["expression"] == "100 * errors / calls"
    assert queries["rate"]["returnData"] is True
    for query_id, metric in (("errors", "ApiErrors"), ("calls", "ApiCalls")):
        spec = queries[query_id]["metric"]
        assert (spec["namespace"], spec["metricName"], spec["stat"]) == (
            names.MENTIONS_METRICS_NAMESPACE,
            metric,
            "Sum",
        )
        assert spec["dimensions"] == {"service": names.MENTIONS_INGESTER_SERVICE}
    assert alarm.inputs["threshold"] == 20.0


@pytest.mark.parametrize("name", STACKS)
def test_the_read_api_5xx_rate_alarm_watches_its_stage(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    alarm = stacks[name].named(ALARM, f"mentions-{name}-5xx-rate")
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("AWS/ApiGateway", "5XXError")
    assert alarm.inputs["dimensions"] == {"ApiName": f"mentions-{name}", "Stage": name}
    assert (alarm.inputs["statistic"], alarm.inputs["threshold"]) == ("Average", 0.05)


def dashboard_metrics(stack: RecordingMocks, name: str) -> list[list[Any]]:
    (board,) = (
        b
        for b in stack.of_type("aws:cloudwatch/dashboard:Dashboard")
        if b.inputs["dashboardName"] == physical("mentions", name)
    )
    body = json.loads(board.inputs["dashboardBody"])
    return [m for w in body["widgets"] for m in w["properties"]["metrics"]]


@pytest.mark.parametrize("name", STACKS)
def test_the_dashboard_shows_runs_mentionmind_functions_and_the_api(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    metrics = dashboard_metrics(stacks[name], name)
    by_namespace: dict[str, set[str]] = {}
    for metric in metrics:
        by_namespace.setdefault(metric[0], set()).add(metric[1])
    assert by_namespace[names.MENTIONS_METRICS_NAMESPACE] >= {
        "MentionsFetched",
        "MentionsStored",
        "MentionsDuplicate",
        "MentionsInvalid",
        "ApiLatency",
        "ApiErrors",
        "SuccessfulRuns",
    }
    assert by_namespace["AWS/Lambda"] == {"Errors", "Duration"}
    assert by_namespace["AWS/ApiGateway"] == {"Count", "4XXError", "5XXError"}
    functions = {m[3] for m in metrics if m[0] == "AWS/Lambda"}
    assert functions == {
        physical("mentions-ingest-mentions", name),
        physical("mentions-api-handler", name),
    }
    assert all(
        m[2:4] == ["service", names.MENTIONS_INGESTER_SERVICE]
        for m in metrics
        if m[0] == names.MENTIONS_METRICS_NAMESPACE
    ), "the alarms and the dashboard must use the dimension powertools writes"
