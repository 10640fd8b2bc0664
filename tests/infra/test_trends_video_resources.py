"""trends part 2's surroundings under Pulumi mocks, every stack: the videos bucket and its
lifecycle, MediaConvert's role, the month's budget and the alerts topic letting Budgets
publish, the failed-executions rule -> queue -> alarm, and the pipeline's dashboard widgets.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from chalicelib.trends import names
from devstack.mocks import OfflineMocks
from devstack.program import DeclaredResource, RecordingMocks, run_pulumi
from devstack.services.outputs import ACCOUNT_ID
from infra.components.dashboards import MetricGrid
from infra.components.monitoring import Watch
from infra.systems.trends.monitoring import failed_executions, pipeline_widgets
from shared.names import physical
from tests.conftest import REGION
from tests.infra.conftest import STACKS, system_setting, urn
from tests.trends_support import declare_trends

BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
BUDGET = "aws:budgets/budget:Budget"
TOPIC = "aws:sns/topic:Topic"
QUEUE = "aws:sqs/queue:Queue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
STAND_IN_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:trends-pipeline-dev"


@pytest.fixture(scope="module")
def declared(built_packages: Any) -> dict[str, RecordingMocks]:
    return {stack: declare_trends(stack, OfflineMocks(REGION)) for stack in STACKS}


def videos_bucket(stack: RecordingMocks, name: str) -> DeclaredResource:
    (bucket,) = (
        b
        for b in stack.of_type(BUCKET)
        if b.inputs["bucket"] == f"{physical('trends-videos', name)}-{ACCOUNT_ID}"
    )
    return bucket


def configuration(stack: RecordingMocks, type_: str, bucket: DeclaredResource) -> dict[str, Any]:
    (resource,) = (r for r in stack.of_type(type_) if r.inputs["bucket"] == bucket.id)
    return resource.inputs


@pytest.mark.parametrize("name", STACKS)
def test_the_videos_bucket_is_private_encrypted_and_expires_only_intermediates(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    settings = system_setting(name, "trends")
    bucket = videos_bucket(stack, name)

    encryption = configuration(stack, ENCRYPTION, bucket)
    assert encryption["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ], urn(bucket)
    blocked = configuration(stack, PUBLIC_ACCESS, bucket)
    assert all(
        blocked[key] is True
        for key in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    ), urn(bucket)
    rules = {r["id"]: r for r in configuration(stack, LIFECYCLE, bucket)["rules"]}
    assert set(rules) == {
        "expire-intermediates",
        "finals-to-infrequent-access",
        "abort-incomplete-uploads",
    }
    for rule in rules.values():
        assert rule["status"] == "Enabled", urn(bucket)
    work = rules["expire-intermediates"]
    assert work["filter"] == {"prefix": "work/"}
    assert work["expiration"] == {"days": settings["intermediateRetentionDays"]}
    assert "transitions" not in work
    finals = rules["finals-to-infrequent-access"]
    assert finals["filter"] == {"prefix": "videos/"}
    assert finals["transitions"] == [
        {"days": settings["finalsInfrequentAccessDays"], "storageClass": "STANDARD_IA"}
    ]
    assert "expiration" not in finals  # finished videos are never deleted by S3
    uploads = rules["abort-incomplete-uploads"]
    assert uploads["filter"] == {"prefix": ""}
    assert uploads["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}


def test_a_stack_may_keep_intermediates_longer_but_not_move_finals_before_30_days(
    built_packages: Any,
) -> None:
    stack = declare_trends(
        "dev",
        OfflineMocks(REGION),
        {
            "serverless-fleet:trends": {
                "intermediateRetentionDays": 3,
                "finalsInfrequentAccessDays": 45,
            }
        },
    )
    rules = {
        r["id"]: r for r in configuration(stack, LIFECYCLE, videos_bucket(stack, "dev"))["rules"]
    }
    assert rules["expire-intermediates"]["expiration"] == {"days": 3}
    assert rules["finals-to-infrequent-access"]["transitions"][0]["days"] == 45

    with pytest.raises(ValueError, match=r"finalsInfrequentAccessDays|finals_infrequent"):
        declare_trends(
            "dev",
            OfflineMocks(REGION),
            {"serverless-fleet:trends": {"finalsInfrequentAccessDays": 7}},
        )


@pytest.mark.parametrize("name", STACKS)
def test_mediaconvert_reads_intermediates_and_writes_renders_in_that_bucket_only(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    bucket = videos_bucket(stack, name).outputs["arn"]
    role = stack.named(ROLE, physical("trends-mediaconvert", name))
    (policy,) = (p for p in stack.of_type(POLICY) if p.inputs["role"] == role.id)

    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "mediaconvert.amazonaws.com"}, urn(role)
    assert trust["Action"] == "sts:AssumeRole"
    granted = {
        s["Sid"]: (s["Effect"], s["Action"], s["Resource"])
        for s in json.loads(policy.inputs["policy"])["Statement"]
    }
    assert granted == {
        "ReadIntermediates": ("Allow", ["s3:GetObject"], [f"{bucket}/work/*"]),
        "WriteRenders": ("Allow", ["s3:PutObject"], [f"{bucket}/work/*", f"{bucket}/videos/*"]),
    }, urn(policy)
    assert role.inputs["tags"]["system"] == "trends"


@pytest.mark.parametrize("name", STACKS)
def test_the_budget_alerts_the_topic_at_80_and_100_percent_of_the_stacks_spend(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    settings = system_setting(name, "trends")
    topic = stack.named(TOPIC, physical("trends-alerts", name)).outputs["arn"]
    (budget,) = stack.of_type(BUDGET)

    inputs = budget.inputs
    assert inputs["name"] == physical("trends-monthly-budget", name)
    assert (inputs["budgetType"], inputs["timeUnit"], inputs["limitUnit"]) == (
        "COST",
        "MONTHLY",
        "USD",
    )
    assert float(inputs["limitAmount"]) == settings["videoPipeline"]["monthlyBudgetUsd"]
    assert inputs["costFilters"] == [{"name": "TagKeyValue", "values": [f"user:stack${name}"]}]
    notifications = {(n["notificationType"], n["threshold"]): n for n in inputs["notifications"]}
    assert {("ACTUAL", 80), ("ACTUAL", 100)} <= set(notifications)
    for notification in notifications.values():
        assert notification["thresholdType"] == "PERCENTAGE", urn(budget)
        assert notification["comparisonOperator"] == "GREATER_THAN", urn(budget)
        assert notification["subscriberSnsTopicArns"] == [topic], urn(budget)


def test_operators_addresses_get_the_budget_alerts_beside_the_topic(built_packages: Any) -> None:
    emails = ["finance@example.com", "video-lead@example.com"]
    stack = declare_trends(
        "dev", OfflineMocks(REGION), {"serverless-fleet:trends": {"budgetAlertEmails": emails}}
    )
    (budget,) = stack.of_type(BUDGET)
    for notification in budget.inputs["notifications"]:
        assert notification["subscriberEmailAddresses"] == emails
        assert len(notification["subscriberSnsTopicArns"]) == 1


def _statement(policy: dict[str, Any], service: str) -> dict[str, Any]:
    (statement,) = (s for s in policy["Statement"] if s["Principal"] == {"Service": service})
    return statement


@pytest.mark.parametrize("name", STACKS)
def test_budgets_may_publish_to_the_topic_and_use_its_key_for_this_account_only(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    topic = stack.named(TOPIC, physical("trends-alerts", name))
    (key,) = (
        k
        for k in stack.of_type("aws:kms/key:Key")
        if k.outputs["arn"] == topic.inputs["kmsMasterKeyId"]
    )
    (topic_policy,) = (
        p
        for p in stack.of_type("aws:sns/topicPolicy:TopicPolicy")
        if p.inputs["arn"] == topic.outputs["arn"]
    )
    scoped = {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT_ID}:*"},
    }

    publish = _statement(json.loads(topic_policy.inputs["policy"]), "budgets.amazonaws.com")
    assert (publish["Effect"], publish["Action"]) == ("Allow", ["SNS:Publish"]), urn(topic_policy)
    assert publish["Resource"] == topic.outputs["arn"]
    assert publish["Condition"] == scoped
    encrypt = _statement(json.loads(key.inputs["policy"]), "budgets.amazonaws.com")
    assert set(encrypt["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}, urn(key)
    assert encrypt["Condition"] == scoped
    # The topic policy replaces SNS's default: alarms still publish.
    alarms = _statement(json.loads(topic_policy.inputs["policy"]), "cloudwatch.amazonaws.com")
    assert alarms["Action"] == ["SNS:Publish"]


@pytest.mark.parametrize("name", STACKS)
def test_a_failed_video_alarms_and_the_videos_bucket_is_exported(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    topic = stack.named(TOPIC, physical("trends-alerts", name)).outputs["arn"]
    alarm = stack.named(ALARM, physical("trends-videos-failed", name))

    assert (alarm.inputs["metricName"], alarm.inputs["threshold"]) == ("VideosFailed", 1)
    assert alarm.inputs["dimensions"] == {"service": names.TRENDS_METRICS_SERVICE}
    assert alarm.inputs["alarmActions"] == [topic]
    assert (
        stack.stack_outputs["trends_videos_bucket"] == videos_bucket(stack, name).outputs["bucket"]
    )


def _stand_in_program() -> None:
    """The failed-executions queue and the pipeline's widgets for a stand-in state machine,
    until trends declares its own."""
    parent = pulumi.ComponentResource("test:trends:StandIn", "trends")
    tags = {"project": "serverless-fleet", "stack": "dev", "system": "trends"}
    watch = Watch(
        "dev", tags, f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:trends-alerts-dev", False, parent
    )
    failed_executions("trends-failed-executions", watch, STAND_IN_MACHINE)


@pytest.fixture(scope="module")
def stand_in() -> RecordingMocks:
    return run_pulumi(_stand_in_program, "dev", OfflineMocks(REGION))


def test_the_rule_matches_only_the_pipelines_failed_executions(stand_in: RecordingMocks) -> None:
    rule = stand_in.named(RULE, "trends-failed-executions-dev")

    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "status": ["FAILED", "TIMED_OUT", "ABORTED"],
            "stateMachineArn": [STAND_IN_MACHINE],
        },
    }
    assert rule.inputs["tags"]["stack"] == "dev"


def test_the_rule_feeds_its_queue_which_alarms_on_a_waiting_message(
    stand_in: RecordingMocks,
) -> None:
    rule = stand_in.named(RULE, "trends-failed-executions-dev")
    queue = stand_in.named(QUEUE, "trends-failed-executions-dev")
    dlq = stand_in.named(QUEUE, "trends-failed-executions-dlq-dev")
    (target,) = stand_in.of_type(TARGET)

    assert target.inputs["rule"] == rule.outputs["name"]
    assert target.inputs["arn"] == queue.outputs["arn"]
    assert target.inputs["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}
    assert queue.inputs["messageRetentionSeconds"] == 14 * 86_400
    assert json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"] == dlq.outputs["arn"]
    for q in (queue, dlq):
        assert q.inputs["sqsManagedSseEnabled"] is True, urn(q)
        (policy,) = (
            p for p in stand_in.of_type(QUEUE_POLICY) if p.inputs["queueUrl"] == q.outputs["url"]
        )
        (statement,) = json.loads(policy.inputs["policy"])["Statement"]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}, urn(policy)
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Resource"] == q.outputs["arn"]
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}
    alarms = {
        a.inputs["dimensions"]["QueueName"]: a
        for a in stand_in.of_type(ALARM)
        if a.inputs["namespace"] == "AWS/SQS"
    }
    assert set(alarms) == {"trends-failed-executions-dev", "trends-failed-executions-dlq-dev"}
    waiting = alarms["trends-failed-executions-dev"]
    assert waiting.inputs["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert waiting.inputs["threshold"] == 1
    assert waiting.inputs["alarmActions"] == [
        f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:trends-alerts-dev"
    ]


def test_the_pipeline_widgets_name_its_state_machine_and_its_metrics() -> None:
    widgets = pipeline_widgets(MetricGrid(REGION, 3600), STAND_IN_MACHINE, 100, top=18)

    metrics = [m for w in widgets for m in w["properties"]["metrics"]]
    states = {m[1] for m in metrics if m[0] == "AWS/States"}
    assert states == {
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionTime",
    }
    assert all(
        m[2:4] == ["StateMachineArn", STAND_IN_MACHINE] for m in metrics if m[0] == "AWS/States"
    )
    own = [m for m in metrics if m[0] != "AWS/States"]
    assert {m[1] for m in own} == {
        "VideosPublished",
        "VideosFailed",
        "FallbackVideos",
        "VideoCostUsd",
        "MonthSpendUsd",
        "StageFailures",
        "StageDuration",
    }
    assert all(
        m[:4] == [names.TRENDS_METRICS_NAMESPACE, m[1], "service", names.TRENDS_METRICS_SERVICE]
        for m in own
    )
    for metric in ("StageFailures", "StageDuration"):
        stages = {m[5] for m in own if m[1] == metric and m[4] == "stage"}
        assert stages == set(names.STAGES), metric
    assert all(w["y"] >= 18 for w in widgets)
    (spend,) = (w for w in widgets if "annotations" in w["properties"])
    assert spend["properties"]["annotations"]["horizontal"][0]["value"] == 100


@pytest.mark.parametrize("name", STACKS)
def test_the_pipelines_failed_executions_reach_their_queue_and_its_alarm(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    machine = stack.named(
        "aws:sfn/stateMachine:StateMachine", physical(names.PIPELINE_STATE_MACHINE, name)
    )
    rule = stack.named(RULE, physical("trends-failed-executions", name))
    queue = stack.named(QUEUE, physical("trends-failed-executions", name))
    topic = stack.named(TOPIC, physical("trends-alerts", name)).outputs["arn"]

    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"]["stateMachineArn"] == [machine.outputs["arn"]], urn(rule)
    (target,) = (t for t in stack.of_type(TARGET) if t.inputs["rule"] == rule.outputs["name"])
    assert target.inputs["arn"] == queue.outputs["arn"]
    waiting = stack.named(ALARM, f"{physical('trends-failed-executions', name)}-not-empty")
    assert waiting.inputs["dimensions"] == {"QueueName": queue.outputs["name"]}
    assert waiting.inputs["alarmActions"] == [topic]


@pytest.mark.parametrize("name", STACKS)
def test_the_trends_dashboard_shows_the_pipeline_below_the_analysis(
    declared: dict[str, RecordingMocks], name: str
) -> None:
    stack = declared[name]
    machine = stack.named(
        "aws:sfn/stateMachine:StateMachine", physical(names.PIPELINE_STATE_MACHINE, name)
    )
    (dashboard,) = stack.of_type("aws:cloudwatch/dashboard:Dashboard")
    widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]

    metrics = [m for w in widgets for m in w["properties"]["metrics"]]
    assert ["AWS/States", "ExecutionsFailed", "StateMachineArn", machine.outputs["arn"]] in metrics
    shown = {m[1] for m in metrics}
    assert {"VideosScanned", "VideosPublished", "MonthSpendUsd", "StageDuration"} <= shown
    cells = {(w["x"], y) for w in widgets for y in range(w["y"], w["y"] + w["height"])}
    assert len(cells) == sum(w["height"] for w in widgets), "widgets overlap"
