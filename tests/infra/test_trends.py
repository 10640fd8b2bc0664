"""trends infrastructure (seed 002 part 1), every stack, the system declared alone: its
tables and indexes, the EventBridge Scheduler schedule in New York time with its retry
policy and dead-letter queue, least privilege, alarms and dashboard."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.trends import env, names
from chalicelib.trends.analysis_config import AnalysisConfig
from devstack.declared import scheduler_targets
from devstack.mocks import OfflineMocks
from devstack.program import DeclaredResource, RecordingMocks
from infra.components.scheduler import ATTEMPT, SCHEDULED_TIME
from shared.names import physical
from tests.conftest import REGION
from tests.infra.conftest import STACKS, setting, urn
from tests.trends_support import declare_trends

TABLE = "aws:dynamodb/table:Table"
SCHEDULE = "aws:scheduler/schedule:Schedule"
FUNCTION = "aws:lambda/function:Function"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


@pytest.fixture(scope="module")
def declared(built_packages: Any) -> dict[str, RecordingMocks]:
    from infra.packaging import BUILD_DIR, package_app

    if not (BUILD_DIR / "trends" / "sam.json").is_file():
        package_app("trends")
    return {stack: declare_trends(stack, OfflineMocks(REGION)) for stack in STACKS}


def keys(index: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["attributeName"], k["keyType"]) for k in index["keySchemas"]]


def statements(policy: DeclaredResource) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


@pytest.mark.parametrize("name", STACKS)
def test_the_seed_tables_have_keys_and_indexes_for_their_access_patterns(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    trends = stack.named(TABLE, physical("trend-analytics", name))
    videos = stack.named(TABLE, physical("video-metadata", name))

    assert (trends.inputs["hashKey"], trends.inputs["rangeKey"]) == ("topic", "run_rank")
    assert {i["name"]: keys(i) for i in trends.inputs["globalSecondaryIndexes"]} == {
        "KeywordIndex": [("keyword", "HASH"), ("run_at", "RANGE")]
    }
    assert (videos.inputs["hashKey"], videos.inputs["rangeKey"]) == ("video_id", "snapshot_at")
    assert {i["name"]: keys(i) for i in videos.inputs["globalSecondaryIndexes"]} == {
        "CategoryIndex": [("category_id", "HASH"), ("snapshot_at", "RANGE")]
    }
    protected = setting(name, "protectData")
    for table in (trends, videos, stack.named(TABLE, physical("trends-state", name))):
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST", urn(table)
        assert table.inputs["serverSideEncryption"] == {"enabled": True}, urn(table)
        assert table.inputs["pointInTimeRecovery"]["enabled"] is protected, urn(table)
        assert stack.is_protected(table) is protected, urn(table)
    for table in (trends, videos):
        assert table.inputs["ttl"] == {"attributeName": "expires_at", "enabled": True}


@pytest.mark.parametrize("name", STACKS)
def test_the_daily_analysis_runs_at_8_am_new_york_time_retried_then_kept(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    schedule = stack.named(SCHEDULE, physical("trends-daily-analysis", name))
    function = stack.named(FUNCTION, physical("trends-analyze-trends", name))
    failed = stack.named("aws:sqs/queue:Queue", physical("trends-failed-events", name))
    retry = setting(name, "failedEvents")

    inputs = schedule.inputs
    assert inputs["scheduleExpression"] == "cron(0 8 * * ? *)"
    assert inputs["scheduleExpressionTimezone"] == "America/New_York"
    assert inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    target = inputs["target"]
    assert target["arn"] == function.outputs["arn"]
    assert target["retryPolicy"] == {
        "maximumEventAgeInSeconds": retry["maximumEventAgeSeconds"],
        "maximumRetryAttempts": retry["maximumRetryAttempts"],
    }
    assert target["deadLetterConfig"] == {"arn": failed.outputs["arn"]}
    assert json.loads(target["input"]) == {
        "schedule": physical("trends-daily-analysis", name),
        "scheduled_time": SCHEDULED_TIME,
        "attempt": ATTEMPT,
    }
    # No scheduled EventBridge rule: rules know no time zone.
    assert not [
        r
        for r in stack.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.inputs["tags"]["system"] == "trends" and r.inputs.get("scheduleExpression")
    ]
    (invoke_config,) = stack.of_type(
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
    )
    assert (
        invoke_config.inputs["destinationConfig"]["onFailure"]["destination"]
        == (failed.outputs["arn"])
    )


@pytest.mark.parametrize("name", STACKS)
def test_the_schedule_may_invoke_exactly_its_function_and_keep_exactly_its_failures(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    schedule = stack.named(SCHEDULE, physical("trends-daily-analysis", name))
    role = next(
        r for r in stack.of_type(ROLE) if r.outputs["arn"] == schedule.inputs["target"]["roleArn"]
    )
    policy = next(p for p in stack.of_type(POLICY) if p.inputs["role"] == role.id)
    function = stack.named(FUNCTION, physical("trends-analyze-trends", name))
    failed = stack.named("aws:sqs/queue:Queue", physical("trends-failed-events", name))

    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert statements(policy) == {
        "StartTarget": {
            "Sid": "StartTarget",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [function.outputs["arn"]],
        },
        "KeepUndeliveredEvents": {
            "Sid": "KeepUndeliveredEvents",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [failed.outputs["arn"]],
        },
    }


@pytest.mark.parametrize("name", STACKS)
def test_the_analysis_may_touch_only_its_tables_key_and_failed_events(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    function = stack.named(FUNCTION, physical("trends-analyze-trends", name))
    policy = next(
        p
        for p in stack.of_type(POLICY)
        if p.inputs["role"] == function.inputs["role"].split("/")[-1]
    )
    arn = {
        base: stack.named(TABLE, physical(base, name)).outputs["arn"]
        for base in ("trend-analytics", "video-metadata", "trends-state")
    }
    secret = stack.named(
        "aws:secretsmanager/secret:Secret", physical(names.YOUTUBE_API_KEY_SECRET, name)
    )

    granted = {
        sid: (s["Action"], s["Resource"])
        for sid, s in statements(policy).items()
        if sid != "WriteOwnLogs"
    }

    assert granted == {
        "ReadYouTubeKey": (["secretsmanager:GetSecretValue"], [secret.outputs["arn"]]),
        "Snapshots": (["dynamodb:BatchWriteItem", "dynamodb:Query"], [arn["video-metadata"]]),
        "Rankings": (["dynamodb:BatchWriteItem"], [arn["trend-analytics"]]),
        "QuotaCounter": (["dynamodb:GetItem", "dynamodb:UpdateItem"], [arn["trends-state"]]),
        "KeepFailedEvents": (
            ["sqs:SendMessage"],
            [
                stack.named("aws:sqs/queue:Queue", physical("trends-failed-events", name)).outputs[
                    "arn"
                ]
            ],
        ),
    }
    environment = function.inputs["environment"]["variables"]
    config = AnalysisConfig.model_validate_json(environment[env.ANALYSIS_CONFIG])
    assert {t.name for t in config.topics} == {
        "education",
        "investing",
        "tourism",
        "technology",
        "health",
        "finance",
    }
    assert environment[env.YOUTUBE_SECRET_NAME] == physical(names.YOUTUBE_API_KEY_SECRET, name)


@pytest.mark.parametrize("name", STACKS)
def test_alarms_reach_the_trends_topic_and_the_dashboard_shows_the_runs(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    topic = stack.named("aws:sns/topic:Topic", physical("trends-alerts", name)).outputs["arn"]
    alarms = {a.inputs["name"]: a for a in stack.of_type(ALARM)}

    assert {
        physical("trends-no-successful-analysis", name),
        physical("trends-quota-stop", name),
    } <= set(alarms)
    assert any("trends-analyze-trends" in n for n in alarms)  # the platform's Errors alarm
    assert any("trends-failed-events" in n for n in alarms)
    for alarm in alarms.values():
        assert alarm.inputs["alarmActions"] == [topic], urn(alarm)
    stale = alarms[physical("trends-no-successful-analysis", name)]
    assert (stale.inputs["metricName"], stale.inputs["evaluationPeriods"]) == ("SuccessfulRuns", 26)
    (dashboard,) = stack.of_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    shown = {m[1] for w in body["widgets"] for m in w["properties"]["metrics"]}
    assert {
        "VideosScanned",
        "TopicsRanked",
        "QuotaUnitsUsed",
        "QuotaStops",
        "YouTubeApiErrors",
    } <= shown


def test_the_local_stack_fires_the_declared_schedules_in_their_time_zone(
    declared: dict[str, RecordingMocks],
) -> None:
    stack = declared["dev"]
    # Saturday 7 March 2026, 14:00 UTC: the next 8 AM in New York is Sunday's, in EDT. On
    # Sunday clocks go from 2 AM to 3 AM: the 2 AM run does not exist and Scheduler skips it
    # (its documented behaviour), so the next night's videos start on Monday, 2 AM EDT.
    now = datetime(2026, 3, 7, 14, tzinfo=UTC)

    targets = {t.rule: t for t in scheduler_targets(stack, now)}

    analysis = stack.named(SCHEDULE, physical("trends-daily-analysis", "dev"))
    videos = stack.named(SCHEDULE, physical("trends-video-generation", "dev"))
    assert set(targets) == {analysis.outputs["arn"], videos.outputs["arn"]}
    target = targets[analysis.outputs["arn"]]
    assert target.target_arn == analysis.inputs["target"]["arn"]
    assert target.dead_letter_arn == analysis.inputs["target"]["deadLetterConfig"]["arn"]
    assert target.next_fire == datetime(2026, 3, 8, 12, tzinfo=UTC)
    event = json.loads(target.event(REGION, target.next_fire))
    assert event["scheduled_time"] == "2026-03-08T12:00:00Z"
    machine = stack.named(STATE_MACHINE, physical("trends-video-pipeline", "dev"))
    night = targets[videos.outputs["arn"]]
    assert night.target_arn == machine.outputs["arn"]
    assert night.next_fire == datetime(2026, 3, 9, 6, tzinfo=UTC)


@pytest.mark.parametrize("name", STACKS)
def test_the_configuration_api_is_behind_the_user_pool_but_the_page(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    (api,) = stack.of_type("aws:apigateway/restApi:RestApi")
    swagger = json.loads(api.inputs["body"])
    pool = stack.named("aws:cognito/userPool:UserPool", physical("trends-users", name))

    (authorizer,) = swagger["securityDefinitions"].values()
    assert authorizer["x-amazon-apigateway-authorizer"]["providerARNs"] == [pool.outputs["arn"]]
    for path, methods in swagger["paths"].items():
        for method, spec in methods.items():
            if method == "options":
                continue
            guarded = any(names.AUTHORIZER in s for s in spec.get("security", []))
            assert guarded is (path not in ("/", "/sign-in")), f"{method} {path}"


@pytest.mark.parametrize("name", STACKS)
def test_the_api_may_add_configuration_versions_and_read_rankings_only(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    function = stack.named(FUNCTION, physical("trends-api-handler", name))
    role = function.inputs["role"].split("/")[-1]
    policy = next(p for p in stack.of_type(POLICY) if p.inputs["role"] == role)
    arn = {
        base: stack.named(TABLE, physical(base, name)).outputs["arn"]
        for base in ("trends-config", "trend-analytics")
    }

    granted = {
        sid: (s["Action"], s["Resource"])
        for sid, s in statements(policy).items()
        if sid != "WriteOwnLogs"
    }

    assert granted == {
        "ConfigVersions": (
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            [arn["trends-config"]],
        ),
        "ReadRankings": (["dynamodb:Query"], [arn["trend-analytics"]]),
    }
