"""csvchat infrastructure (seed 003 §3, §4, §6) for every stack: the user pool and client,
the authorizer on every method, the buckets, the notification -> queue -> DLQ chain, the
Glue database, the Athena workgroup, the tables with the stream, and least privilege."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from chalicelib.csvchat import env, names
from devstack.program import DeclaredResource, RecordingMocks
from infra.components.rest_api import HTTP_METHODS
from shared.names import physical
from tests.conftest import REGION
from tests.infra.conftest import (
    STACKS,
    as_list,
    fixtures_of,
    policy_statements,
    setting,
    system_setting,
    urn,
)

# csvchat declared alone, for each stack.
stacks, stack = fixtures_of("csvchat")

FUNCTION = "aws:lambda/function:Function"
MIB = 1 << 20


def csvchat(name: str) -> dict[str, Any]:
    return system_setting(name, "csvchat")


def of_csvchat(stack: RecordingMocks, type_token: str) -> list[DeclaredResource]:
    return [r for r in stack.of_type(type_token) if "csvchat" in r.name]


def bucket_named(stack: RecordingMocks, base: str, name: str) -> DeclaredResource:
    (bucket,) = (
        b
        for b in stack.of_type("aws:s3/bucket:Bucket")
        if b.inputs["bucket"].startswith(f"{base}-{name}-")
    )
    return bucket


def configuration(
    stack: RecordingMocks, type_token: str, bucket: DeclaredResource
) -> DeclaredResource:
    (found,) = (c for c in stack.of_type(type_token) if c.inputs["bucket"] == bucket.id)
    return found


@pytest.mark.parametrize("name", STACKS)
def test_users_sign_in_to_one_pool_with_one_client(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    pool = stack.named("aws:cognito/userPool:UserPool", physical(names.USER_POOL, name))
    assert pool.inputs["usernameAttributes"] == ["email"]
    assert pool.inputs["adminCreateUserConfig"]["allowAdminCreateUserOnly"] is True
    assert pool.inputs["passwordPolicy"]["minimumLength"] >= 12
    assert stack.is_protected(pool) is setting(name, "protectData")
    assert pool.inputs["deletionProtection"] == (
        "ACTIVE" if setting(name, "protectData") else "INACTIVE"
    )
    client = stack.named(
        "aws:cognito/userPoolClient:UserPoolClient", physical(names.USER_POOL_CLIENT, name)
    )
    assert client.inputs["userPoolId"] == pool.id
    assert client.inputs["generateSecret"] is False
    assert "ALLOW_USER_SRP_AUTH" in client.inputs["explicitAuthFlows"]
    assert stack.stack_outputs["csvchat_user_pool_id"] == pool.id
    assert stack.stack_outputs["csvchat_user_pool_client_id"] == client.id


@pytest.mark.parametrize("name", STACKS)
def test_every_method_of_the_api_is_behind_the_pools_authorizer(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    api = stack.named("aws:apigateway/restApi:RestApi", physical(names.CSVCHAT_API, name))
    pool = stack.named("aws:cognito/userPool:UserPool", physical(names.USER_POOL, name))
    swagger = json.loads(api.inputs["body"])
    authorizer = swagger["securityDefinitions"][names.AUTHORIZER]
    assert authorizer["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert authorizer["x-amazon-apigateway-authorizer"]["providerARNs"] == [pool.outputs["arn"]]
    methods = [
        (path, method, spec)
        for path, specs in swagger["paths"].items()
        for method, spec in specs.items()
        if method in HTTP_METHODS
    ]
    assert len(methods) >= 12
    for path, method, spec in methods:
        if (path, method) in {("/", "get"), ("/config", "get")}:  # the page signs in
            assert not spec.get("security"), f"{method} {path}"
            continue
        assert spec["security"] == [{names.AUTHORIZER: []}], f"{method} {path}"


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("base", [names.UPLOADS_BUCKET, names.RESULTS_BUCKET])
def test_buckets_are_encrypted_private_versioned_with_cors_and_lifecycle(
    stacks: dict[str, RecordingMocks], name: str, base: str
) -> None:
    stack = stacks[name]
    bucket = bucket_named(stack, base, name)
    encryption = configuration(
        stack,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        bucket,
    )
    assert (
        encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
        == "AES256"
    )
    private = configuration(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert private.inputs[flag] is True
    versioning = configuration(stack, "aws:s3/bucketVersioning:BucketVersioning", bucket)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    (cors,) = configuration(
        stack, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", bucket
    ).inputs["corsRules"]
    api = stack.named("aws:apigateway/restApi:RestApi", physical(names.CSVCHAT_API, name))
    assert f"https://{api.id}.execute-api.{REGION}.amazonaws.com" in cors["allowedOrigins"]
    assert "*" not in cors["allowedOrigins"]
    (rule,) = configuration(
        stack, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket
    ).inputs["rules"]
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 1
    if base == names.RESULTS_BUCKET:
        assert rule["expiration"]["days"] == csvchat(name)["resultsRetentionDays"]
    else:
        assert "expiration" not in rule


@pytest.mark.parametrize("name", STACKS)
def test_new_uploads_notify_the_processing_queue_which_has_a_dlq(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    uploads = bucket_named(stack, names.UPLOADS_BUCKET, name)
    queue = stack.named("aws:sqs/queue:Queue", physical(names.UPLOAD_EVENTS_QUEUE, name))
    dlq = stack.named("aws:sqs/queue:Queue", physical(names.UPLOAD_EVENTS_DLQ, name))
    (target,) = configuration(
        stack, "aws:s3/bucketNotification:BucketNotification", uploads
    ).inputs["queues"]
    assert target == {
        "queueArn": queue.outputs["arn"],
        "events": ["s3:ObjectCreated:*"],
        "filterPrefix": names.DATASETS_PREFIX,
    }
    assert json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"] == dlq.outputs["arn"]
    (policy,) = (
        p
        for p in stack.of_type("aws:sqs/queuePolicy:QueuePolicy")
        if p.inputs["queueUrl"] == queue.outputs["url"]
    )
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": uploads.outputs["arn"]}}
    (mapping,) = (
        m
        for m in stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        if m.inputs["eventSourceArn"] == queue.outputs["arn"]
    )
    assert mapping.inputs["functionName"].endswith(physical("csvchat-process-uploads", name))
    assert any(
        a.inputs["name"] == f"{dlq.inputs['name']}-not-empty"
        for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    )


@pytest.mark.parametrize("name", STACKS)
def test_one_glue_database_and_one_enforced_workgroup_per_stack(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    (database,) = stack.of_type("aws:glue/catalogDatabase:CatalogDatabase")
    assert database.inputs["name"] == names.glue_database(name)
    (workgroup,) = stack.of_type("aws:athena/workgroup:Workgroup")
    results = bucket_named(stack, names.RESULTS_BUCKET, name)
    config = workgroup.inputs["configuration"]
    assert workgroup.inputs["name"] == physical(names.ATHENA_WORKGROUP, name)
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["publishCloudwatchMetricsEnabled"] is True
    assert config["bytesScannedCutoffPerQuery"] == csvchat(name)["bytesScannedCutoffMb"] * MIB
    assert config["resultConfiguration"] == {
        "outputLocation": f"s3://{results.id}/{names.QUERY_RESULTS_PREFIX}",
        "encryptionConfiguration": {"encryptionOption": "SSE_S3"},
    }


@pytest.mark.parametrize("name", STACKS)
def test_the_tables_are_encrypted_and_the_datasets_stream_feeds_the_usage_consumer(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    for schema in (
        names.DATASETS_TABLE,
        names.CHAT_HISTORY_TABLE,
        names.PREFERENCES_TABLE,
        names.USAGE_TABLE,
    ):
        table = stack.named("aws:dynamodb/table:Table", physical(schema.base_name, name))
        assert table.inputs["serverSideEncryption"] == {"enabled": True}
        assert table.inputs["pointInTimeRecovery"]["enabled"] is setting(name, "protectData")
        assert table.inputs["hashKey"] == schema.hash_key
    datasets = stack.named(
        "aws:dynamodb/table:Table", physical(names.DATASETS_TABLE.base_name, name)
    )
    assert (datasets.inputs["streamEnabled"], datasets.inputs["streamViewType"]) == (
        True,
        "NEW_AND_OLD_IMAGES",
    )
    (mapping,) = (
        m
        for m in stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        if m.inputs["eventSourceArn"] == datasets.outputs["streamArn"]
    )
    assert mapping.inputs["functionName"].endswith(physical("csvchat-track-usage-records", name))
    assert mapping.inputs["bisectBatchOnFunctionError"] is True


def statements_of(stack: RecordingMocks, function: str) -> list[dict[str, Any]]:
    return [s for p, s in policy_statements(stack) if p.inputs["name"] == f"{function}-policy"]


# The only wildcards: a log group's streams, and objects or tables under one prefix.
WILDCARD_SUFFIXES = (
    ":*",
    "/datasets/*",
    f"/datasets/*/*/{names.TABLE_FOLDER}*",
    "/query-results/*",
)
FOUNDATION_MODELS = "arn:aws:bedrock:*::foundation-model/"


def csvchat_model(stack: str) -> str:
    """The stack's model id (its setting, or the default)."""
    from infra.systems.csvchat.settings import CsvchatSettings

    return str(csvchat(stack).get("modelId", CsvchatSettings().model_id))


@pytest.mark.parametrize("name", STACKS)
def test_the_api_may_converse_only_with_its_model_and_knows_its_chat_limits(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    api = statements_of(stacks[name], physical("csvchat-api-handler", name))
    (grant,) = [s for s in api if s.get("Sid") == "AskTheModel"]
    assert grant["Action"] == ["bedrock:InvokeModel"]
    model = csvchat_model(name)
    assert grant["Resource"][0].endswith(f":inference-profile/{model}")
    limits = json.loads(
        stacks[name].function_environment(physical("csvchat-api-handler", name))[env.CHAT_LIMITS]
    )
    assert limits["model_id"] == model


@pytest.mark.parametrize("name", STACKS)
def test_each_function_may_use_only_its_workgroup_database_buckets_and_tables(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    workgroup = stack.of_type("aws:athena/workgroup:Workgroup")[0].outputs["arn"]
    database = names.glue_database(name)
    buckets = {
        bucket_named(stack, b, name).outputs["arn"]
        for b in (names.UPLOADS_BUCKET, names.RESULTS_BUCKET)
    }
    for function in (
        "csvchat-api-handler",
        "csvchat-process-uploads",
        "csvchat-track-usage-records",
    ):
        statements = statements_of(stack, physical(function, name))
        assert statements, function
        for statement in statements:
            for resource in as_list(statement["Resource"]):
                # A cross-region inference profile may serve its model from any region.
                if "*" in resource and not resource.startswith(FOUNDATION_MODELS):
                    assert resource.endswith((*WILDCARD_SUFFIXES, f"/{database}/*")), resource
                if resource.startswith("arn:aws:athena"):
                    assert resource == workgroup
                if resource.startswith("arn:aws:glue") and not resource.endswith(":catalog"):
                    assert f"/{database}" in resource, (function, resource)
                if resource.startswith("arn:aws:s3"):
                    assert any(resource.startswith(b) for b in buckets), (function, resource)
                if resource.startswith("arn:aws:bedrock"):
                    assert resource.endswith(csvchat_model(name).split(".", 1)[1]), resource
    processor = statements_of(stack, physical("csvchat-process-uploads", name))
    assert not any(a.startswith("athena:") for s in processor for a in s["Action"])
    uploads = bucket_named(stack, names.UPLOADS_BUCKET, name).outputs["arn"]
    # The processor writes a dataset's table copy and nothing else: never an upload.
    copy = f"{uploads}/datasets/alice-sub/d1/{names.TABLE_FOLDER}rows.json.gz"
    for action in ("s3:PutObject", "s3:AbortMultipartUpload"):
        assert _allows(processor, action, copy), action
    for key in ("datasets/alice-sub/d1/data.csv", "elsewhere/table/rows.json.gz"):
        assert not _allows(processor, "s3:PutObject", f"{uploads}/{key}"), key
    assert not any("s3:DeleteObject" in s["Action"] for s in processor)
    api_env = stack.function_environment(physical("csvchat-api-handler", name))
    limits = json.loads(api_env[env.UPLOAD_LIMITS])
    assert limits["max_bytes"] == csvchat(name)["uploads"]["maxMb"] * MIB
    assert limits["quota_datasets"] == csvchat(name)["quota"]["datasets"]
    assert api_env[env.USER_POOL_CLIENT_ID] == stack.stack_outputs["csvchat_user_pool_client_id"]


def _allows(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    """Whether an Allow statement grants ``action`` on ``resource`` (IAM's ``*`` match)."""
    import fnmatch

    return any(
        action in as_list(s["Action"])
        and any(fnmatch.fnmatchcase(resource, r) for r in as_list(s["Resource"]))
        for s in statements
        if s.get("Effect", "Allow") == "Allow"
    )


@pytest.mark.parametrize("name", STACKS)
def test_the_api_reads_no_dataset_or_table_with_its_own_role(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    api = statements_of(stack, physical("csvchat-api-handler", name))
    uploads = bucket_named(stack, names.UPLOADS_BUCKET, name).outputs["arn"]
    database = names.glue_database(name)
    account = stack.of_type("aws:athena/workgroup:Workgroup")[0].outputs["arn"].split(":")[4]
    glue = f"arn:aws:glue:{REGION}:{account}"
    for action, resource in (
        ("s3:GetObject", f"{uploads}/datasets/someone/ds1/data.csv"),
        ("s3:GetObject", f"{uploads}/datasets/other/ds2/data.csv"),
        ("s3:ListBucket", uploads),
        ("glue:GetTable", f"{glue}:table/{database}/ds_ds2"),
        ("glue:GetTables", f"{glue}:database/{database}"),
        (
            "athena:StartQueryExecution",
            stack.of_type("aws:athena/workgroup:Workgroup")[0].outputs["arn"],
        ),
    ):
        assert not _allows(api, action, resource), (
            urn(stack.named("aws:iam/role:Role", f"{physical('csvchat-api-handler', name)}-role")),
            action,
            resource,
        )
    (assume,) = [s for s in api if "sts:AssumeRole" in s["Action"]]
    role = stack.named("aws:iam/role:Role", physical("csvchat-query", name))
    assert (assume["Action"], assume["Resource"]) == (["sts:AssumeRole"], [role.outputs["arn"]])
    api_env = stack.function_environment(physical("csvchat-api-handler", name))
    assert api_env[env.QUERY_ROLE_ARN] == role.outputs["arn"]


@pytest.mark.parametrize("name", STACKS)
def test_only_the_api_may_assume_the_query_role_which_reads_only_datasets(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    stack = stacks[name]
    role = stack.named("aws:iam/role:Role", physical("csvchat-query", name))
    api_role = stack.named("aws:iam/role:Role", f"{physical('csvchat-api-handler', name)}-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"AWS": api_role.outputs["arn"]},
        "Action": "sts:AssumeRole",
    }, urn(role)
    (policy,) = [
        p for p in stack.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.id
    ]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    uploads = bucket_named(stack, names.UPLOADS_BUCKET, name).outputs["arn"]
    assert _allows(statements, "s3:GetObject", f"{uploads}/datasets/a/b/c.csv"), urn(policy)
    assert not _allows(statements, "s3:GetObject", f"{uploads}/elsewhere/c.csv"), urn(policy)
    assert not _allows(statements, "s3:PutObject", f"{uploads}/datasets/x/y/z.csv"), urn(policy)


@pytest.mark.parametrize("name", STACKS)
def test_a_querys_session_policy_names_only_the_callers_prefix_and_table(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    """What the API passes to AssumeRole, from the environment the program gives it."""
    from chalicelib.csvchat.query_access import QueryAccess

    stack = stacks[name]
    api_env = stack.function_environment(physical("csvchat-api-handler", name))
    access = QueryAccess(
        role_arn=api_env[env.QUERY_ROLE_ARN],
        region=REGION,
        uploads_bucket=api_env[env.UPLOADS_BUCKET],
        results_bucket=api_env[env.RESULTS_BUCKET],
        results_prefix=names.QUERY_RESULTS_PREFIX,
        database=api_env[env.GLUE_DATABASE],
        workgroup=api_env[env.ATHENA_WORKGROUP],
    )
    # STS's limit on a session policy's plain text, with a real sub and dataset id.
    longest = access.session_policy(str(uuid.uuid4()), "a" * 32, "ds_" + "a" * 32)
    assert len(json.dumps(longest, separators=(",", ":"))) <= 2048
    session = access.session_policy("alice-sub", "d1", "ds_d1")["Statement"]
    uploads = bucket_named(stack, names.UPLOADS_BUCKET, name).outputs["arn"]
    database = api_env[env.GLUE_DATABASE]
    glue = f"arn:aws:glue:{REGION}:{access.role_arn.split(':')[4]}"
    assert _allows(session, "s3:GetObject", f"{uploads}/datasets/alice-sub/d1/data.csv")
    assert _allows(session, "glue:GetTable", f"{glue}:table/{database}/ds_d1")
    for action, resource in (
        ("s3:GetObject", f"{uploads}/datasets/alice-sub/d2/data.csv"),
        ("s3:GetObject", f"{uploads}/datasets/bob-sub/d1/data.csv"),
        ("glue:GetTable", f"{glue}:table/{database}/ds_d2"),
        ("glue:GetTable", f"{glue}:table/{database}/ds_d1x"),
        ("s3:PutObject", f"{uploads}/datasets/alice-sub/d1/data.csv"),
    ):
        assert not _allows(session, action, resource), (action, resource)
    workgroup = stack.of_type("aws:athena/workgroup:Workgroup")[0].outputs["arn"]
    assert _allows(session, "athena:StartQueryExecution", workgroup)


ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
APP_DIMENSIONS = {"service": names.METRICS_SERVICE}


def csvchat_alarms(stack: RecordingMocks, name: str) -> dict[str, DeclaredResource]:
    """The alarms on csvchat's topic, by name."""
    topic = stack.named("aws:sns/topic:Topic", physical(names.CSVCHAT_ALERTS_TOPIC, name))
    return {
        a.inputs["name"]: a
        for a in stack.of_type(ALARM)
        if a.inputs["alarmActions"] == [topic.outputs["arn"]]
    }


@pytest.mark.parametrize("name", STACKS)
def test_the_reply_p95_alarm_watches_the_metric_the_app_emits(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    alarm = csvchat_alarms(stacks[name], name)[physical("csvchat-reply-p95", name)]
    inputs = alarm.inputs
    assert (inputs["namespace"], inputs["metricName"]) == (
        names.METRICS_NAMESPACE,
        names.REPLY_TIMINGS["total"],
    ), urn(alarm)
    assert inputs["dimensions"] == APP_DIMENSIONS, "powertools writes the service dimension"
    assert inputs["extendedStatistic"] == "p95" and "statistic" not in inputs, urn(alarm)
    assert inputs["threshold"] == csvchat(name).get("replyP95AlarmMs", 2000), urn(alarm)
    assert inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert inputs["treatMissingData"] == "notBreaching"  # no questions is no slow reply


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize(
    ("alarm_name", "count", "setting", "default"),
    [
        ("csvchat-model-error-rate", "model_failed", "modelErrorAlarmPercent", 10),
        ("csvchat-throttle-rate", "throttled", "throttleAlarmPercent", 10),
        ("csvchat-refusal-rate", "refused", "refusalAlarmPercent", 25),
    ],
)
def test_the_rate_alarms_divide_a_count_by_the_questions(
    stacks: dict[str, RecordingMocks],
    name: str,
    alarm_name: str,
    count: str,
    setting: str,
    default: float,
) -> None:
    alarm = csvchat_alarms(stacks[name], name)[physical(alarm_name, name)]
    queries = {q["id"]: q for q in alarm.inputs["metricQueries"]}
    assert queries["rate"]["expression"] == "100 * errors / calls", urn(alarm)
    for query_id, metric in (
        ("errors", names.REPLY_COUNTS[count]),
        ("calls", names.REPLY_COUNTS["questions"]),
    ):
        spec = queries[query_id]["metric"]
        assert (spec["namespace"], spec["metricName"], spec["stat"]) == (
            names.METRICS_NAMESPACE,
            metric,
            "Sum",
        ), urn(alarm)
        assert spec["dimensions"] == APP_DIMENSIONS, urn(alarm)
    assert alarm.inputs["threshold"] == csvchat(name).get(setting, default), urn(alarm)


@pytest.mark.parametrize("name", STACKS)
def test_every_csvchat_alarm_notifies_its_topic(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    alarms = csvchat_alarms(stacks[name], name)
    assert {
        physical(a, name)
        for a in (
            "csvchat-reply-p95",
            "csvchat-model-error-rate",
            "csvchat-throttle-rate",
            "csvchat-refusal-rate",
        )
    } | {f"csvchat-{name}-5xx-rate"} <= set(alarms)
    for handler in ("api-handler", "process-uploads", "track-usage-records"):
        assert physical(f"csvchat-{handler}", name) + "-errors" in alarms


@pytest.mark.parametrize("name", STACKS)
def test_the_dashboard_shows_what_the_app_emits(
    stacks: dict[str, RecordingMocks], name: str
) -> None:
    (board,) = (
        b
        for b in stacks[name].of_type("aws:cloudwatch/dashboard:Dashboard")
        if b.inputs["dashboardName"] == physical("csvchat", name)
    )
    widgets = json.loads(board.inputs["dashboardBody"])["widgets"]
    metrics = [m for w in widgets for m in w["properties"]["metrics"]]
    by_namespace: dict[str, set[str]] = {}
    for metric in metrics:
        by_namespace.setdefault(metric[0], set()).add(metric[1])
    assert by_namespace[names.METRICS_NAMESPACE] == set(names.REPLY_METRICS.values()), urn(board)
    assert all(
        m[2:4] == ["service", names.METRICS_SERVICE]
        for m in metrics
        if m[0] == names.METRICS_NAMESPACE
    ), "the dashboard must use the dimension powertools writes"
    stats = {w["properties"]["title"]: w["properties"]["stat"] for w in widgets}
    assert {"p50", "p95"} <= set(stats.values())
    assert by_namespace["AWS/ApiGateway"] == {"Count", "4XXError", "5XXError"}
    assert {m[3] for m in metrics if m[0] == "AWS/Lambda"} == {
        physical(f"csvchat-{handler}", name)
        for handler in ("api-handler", "process-uploads", "track-usage-records")
    }
