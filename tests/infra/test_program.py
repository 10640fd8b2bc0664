"""The whole program, every stack: what every system must get right."""

from __future__ import annotations

import json
from typing import Any

from devstack.program import RecordingMocks
from infra.components.chalice_app import kebab
from infra.components.chalice_package import load_package
from infra.components.function import WILDCARD_RESOURCE_REASONS
from infra.packaging import app_names
from infra.registry import SYSTEMS
from infra.settings import stack_values, unknown_keys
from shared.names import PROJECT, physical
from tests.infra.conftest import (
    STACKS,
    as_list,
    policy_statements,
    setting,
    system_setting,
    urn,
)

FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"

# Types that accept tags and so must carry the fleet's three (pulumi-aws schema).
TAGGABLE = {
    "aws:dynamodb/table:Table",
    "aws:sqs/queue:Queue",
    "aws:sns/topic:Topic",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:iam/role:Role",
    FUNCTION,
    "aws:apigateway/restApi:RestApi",
    "aws:apigateway/stage:Stage",
    "aws:apigateway/usagePlan:UsagePlan",
    "aws:apigateway/apiKey:ApiKey",
    "aws:lambda/eventSourceMapping:EventSourceMapping",
}


def config(stack: RecordingMocks, key: str) -> Any:
    return setting(stack_name(stack), key)


def stack_name(stack: RecordingMocks) -> str:
    return str(
        stack.of_type("aws:lambda/function:Function")[0].inputs["environment"]["variables"][
            "FLEET_STACK"
        ]
    )


def test_each_packaged_handler_is_a_function_with_its_own_role(stack: RecordingMocks) -> None:
    name = stack_name(stack)
    functions = {f.inputs["name"]: f for f in stack.of_type(FUNCTION)}
    roles = {r.outputs["arn"]: r for r in stack.of_type(ROLE)}
    expected = {
        physical(f"{app}-{kebab(logical)}", name): handler
        for app in app_names()
        for logical, handler in load_package(app).handlers.items()
    }
    assert set(functions) == set(expected)
    for function_name, handler in expected.items():
        function = functions[function_name]
        assert function.inputs["handler"] == handler.handler, urn(function)
        assert function.inputs["runtime"] == handler.runtime, urn(function)
        assert function.inputs["timeout"] == handler.timeout_seconds, urn(function)
        assert function.inputs["memorySize"] == config(stack, "lambdaMemoryMb"), urn(function)
        role = roles[function.inputs["role"]]
        assert role.inputs["name"] == f"{function_name}-role", urn(function)
    assert len({f.inputs["role"] for f in functions.values()}) == len(functions)


def test_each_function_logs_to_its_own_group_kept_as_the_stack_says(stack: RecordingMocks) -> None:
    groups = {g.inputs["name"]: g for g in stack.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for function in stack.of_type(FUNCTION):
        group = groups[f"/aws/lambda/{function.inputs['name']}"]
        assert group.inputs["retentionInDays"] == config(stack, "logRetentionDays"), urn(group)
        env = function.inputs["environment"]["variables"]
        assert env["POWERTOOLS_LOG_LEVEL"] == config(stack, "logLevel"), urn(function)


def test_no_policy_statement_grants_a_wildcard(stack: RecordingMocks) -> None:
    """Actions are named one by one; a resource is "*" only where the actions take none,
    each such statement with its reason (``WILDCARD_RESOURCE_REASONS``), and then alone."""
    for policy, statement in policy_statements(stack):
        assert "*" not in as_list(statement["Action"]), urn(policy)
        assert not any(a.endswith(":*") for a in as_list(statement["Action"])), urn(policy)
        if "*" in as_list(statement["Resource"]):
            assert statement["Sid"] in WILDCARD_RESOURCE_REASONS, urn(policy)
            assert as_list(statement["Resource"]) == ["*"], urn(policy)


def test_each_function_writes_only_to_its_own_log_group(stack: RecordingMocks) -> None:
    for policy, statement in policy_statements(stack):
        if statement["Sid"] == "WriteOwnLogs":
            function_name = policy.inputs["name"].removesuffix("-policy")
            assert statement["Resource"] == [
                f"arn:aws:logs:eu-north-1:123456789012:log-group:/aws/lambda/{function_name}:*"
            ], urn(policy)


def test_every_taggable_resource_carries_project_stack_and_system(stack: RecordingMocks) -> None:
    name = stack_name(stack)
    tagged = [r for r in stack.resources if r.type in TAGGABLE]
    assert tagged
    for resource in tagged:
        tags = resource.inputs.get("tags") or {}
        assert tags.get("project") == PROJECT, urn(resource)
        assert tags.get("stack") == name, urn(resource)
        assert tags.get("system"), urn(resource)


def test_every_physical_name_carries_the_stack(stack: RecordingMocks) -> None:
    name = stack_name(stack)
    for resource in stack.resources:
        physical_name = resource.inputs.get("name")
        if resource.type.startswith("aws:") and physical_name:
            assert name in physical_name, urn(resource)


def test_every_event_source_mapping_reports_batch_item_failures(stack: RecordingMocks) -> None:
    for mapping in stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"], urn(mapping)


def test_each_queue_outlasts_six_times_its_consumers_timeout(stack: RecordingMocks) -> None:
    queues = {q.outputs["arn"]: q for q in stack.of_type("aws:sqs/queue:Queue")}
    functions = {f.outputs["arn"]: f for f in stack.of_type(FUNCTION)}
    for mapping in stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        queue = queues.get(mapping.inputs["eventSourceArn"])
        if queue is None:  # a table's stream: nothing becomes visible again
            continue
        function = functions[mapping.inputs["functionName"]]
        assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * function.inputs["timeout"], urn(
            mapping
        )


def test_dev_and_prod_differ_where_operators_expect(stacks: dict[str, RecordingMocks]) -> None:
    for key in ("logLevel", "logRetentionDays", "lambdaMemoryMb", "apiThrottle", "alarmEmail"):
        assert setting("dev", key) != setting("prod", key), key
    assert setting("dev", "protectData") is False
    assert setting("prod", "protectData") is True
    dev_router, prod_router = (
        stacks[s].named(FUNCTION, physical("comms-api-handler", s)) for s in ("dev", "prod")
    )
    assert dev_router.inputs["memorySize"] < prod_router.inputs["memorySize"]


def test_a_stack_with_protect_data_protects_every_table_and_queue_and_others_do_not(
    stacks: dict[str, RecordingMocks],
) -> None:
    stateful = ("aws:dynamodb/table:Table", "aws:sqs/queue:Queue")
    for name in STACKS:
        stack, expected = stacks[name], setting(name, "protectData")
        resources = [r for r in stack.resources if r.type in stateful]
        assert resources
        for resource in resources:
            assert stack.is_protected(resource) is expected, f"{name}: {urn(resource)}"
        for table in stack.of_type("aws:dynamodb/table:Table"):
            assert table.inputs["deletionProtectionEnabled"] is expected, urn(table)
            assert table.inputs["pointInTimeRecovery"]["enabled"] is expected, urn(table)


def test_staging_is_production_like_with_its_own_alarms_and_smaller_limits() -> None:
    for key in ("protectData", "logLevel"):
        assert setting("staging", key) == setting("prod", key), key
    assert setting("staging", "alarmEmail") not in {
        setting("dev", "alarmEmail"),
        setting("prod", "alarmEmail"),
    }
    staging, prod = setting("staging", "apiThrottle"), setting("prod", "apiThrottle")
    assert staging["rateLimit"] < prod["rateLimit"]
    assert staging["burstLimit"] < prod["burstLimit"]
    assert setting("staging", "apiQuota")["limit"] < setting("prod", "apiQuota")["limit"]
    assert setting("staging", "logRetentionDays") < setting("prod", "logRetentionDays")


def test_every_table_is_on_demand_and_encrypted(stack: RecordingMocks) -> None:
    for table in stack.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST", urn(table)
        assert table.inputs["serverSideEncryption"] == {"enabled": True}, urn(table)


def test_the_stack_exports_what_operators_need(stack: RecordingMocks) -> None:
    outputs = stack.stack_outputs
    assert outputs["comms_api_url"].endswith(f"/{stack_name(stack)}")
    assert set(outputs["comms_queue_urls"]) == {"whatsapp", "sms", "email"}


def test_every_api_has_a_usage_plan_on_the_stage_named_after_the_stack(
    stack: RecordingMocks,
) -> None:
    name = stack_name(stack)
    apis = stack.of_type("aws:apigateway/restApi:RestApi")
    # One API per system of the registry, each named after its stack.
    assert sorted(a.inputs["tags"]["system"] for a in apis) == sorted(SYSTEMS)
    assert all(name in a.inputs["name"] for a in apis)
    assert f"ai-multi-comms-{name}-api" in {a.inputs["name"] for a in apis}
    for api in apis:
        (stage,) = (
            s for s in stack.of_type("aws:apigateway/stage:Stage") if s.inputs["restApi"] == api.id
        )
        (plan,) = (
            p
            for p in stack.of_type("aws:apigateway/usagePlan:UsagePlan")
            if p.inputs["apiStages"] == [{"apiId": api.id, "stage": name}]
        )
        key = stack.named("aws:apigateway/apiKey:ApiKey", f"{api.inputs['name']}-key")
        (plan_key,) = (
            k
            for k in stack.of_type("aws:apigateway/usagePlanKey:UsagePlanKey")
            if k.inputs["usagePlanId"] == plan.id
        )
        (permission,) = (
            p
            for p in stack.of_type("aws:lambda/permission:Permission")
            if p.inputs["principal"] == "apigateway.amazonaws.com"
            and p.inputs["sourceArn"].startswith(api.outputs["executionArn"] + "/")
        )
        assert stage.inputs["stageName"] == name, urn(api)
        assert plan.inputs["throttleSettings"] == config(stack, "apiThrottle"), urn(api)
        assert plan.inputs["quotaSettings"] == config(stack, "apiQuota"), urn(api)
        assert plan_key.inputs == {"keyId": key.id, "keyType": "API_KEY", "usagePlanId": plan.id}
        assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/{name}/*"


def test_every_key_of_every_stack_file_is_a_setting(stack: RecordingMocks) -> None:
    values = stack_values(stack_name(stack))
    assert unknown_keys(values) == []
    assert unknown_keys(values | {"serverless-fleet:channelQueue": {}}) == [
        "serverless-fleet:channelQueue"
    ]


def test_a_system_namespace_holds_only_what_differs_from_its_defaults() -> None:
    for name in STACKS:
        for system in SYSTEMS:
            values = stack_values(name).get(f"serverless-fleet:{system}") or {}
            assert set(values) <= set(system_setting(name, system)), (name, system)
    # prod sets nothing for comms: every value is the seed's default.
    assert system_setting("prod", "comms")["channelQueue"] == {
        "visibilityTimeoutSeconds": 600,
        "maxReceiveCount": 3,
        "dlqRetentionDays": 14,
        "messageRetentionDays": 4,
    }


ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"


def test_standard_monitoring_comes_with_every_system(stack: RecordingMocks) -> None:
    """Every function has an Errors alarm, every API a 5xx-rate alarm, every DLQ a depth
    alarm, each on its own system's alert topic: no system can forget them."""
    topics = {t.inputs["tags"]["system"]: t.outputs["arn"] for t in stack.of_type(TOPIC)}
    assert set(topics) == set(SYSTEMS)
    alarms = stack.of_type(ALARM)

    def alarm_on(namespace: str, metric: str, dimension: str, value: str) -> dict[str, Any]:
        found = [
            a.inputs
            for a in alarms
            if (a.inputs.get("namespace"), a.inputs.get("metricName")) == (namespace, metric)
            and a.inputs.get("dimensions", {}).get(dimension) == value
        ]
        assert len(found) == 1, f"{metric} alarm on {value}: {len(found)}"
        return found[0]

    for function in stack.of_type(FUNCTION):
        alarm = alarm_on("AWS/Lambda", "Errors", "FunctionName", function.inputs["name"])
        assert alarm["alarmActions"] == [topics[function.inputs["tags"]["system"]]], urn(function)
    for api in stack.of_type("aws:apigateway/restApi:RestApi"):
        alarm = alarm_on("AWS/ApiGateway", "5XXError", "ApiName", api.inputs["name"])
        assert alarm["alarmActions"] == [topics[api.inputs["tags"]["system"]]], urn(api)
        assert alarm["dimensions"]["Stage"] == stack_name(stack)
    for queue in stack.of_type("aws:sqs/queue:Queue"):
        if "redrivePolicy" in queue.inputs:
            continue
        alarm = alarm_on(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue.outputs["name"]
        )
        assert alarm["alarmActions"] == [topics[queue.inputs["tags"]["system"]]], urn(queue)


def test_every_secret_a_function_reads_is_scoped_to_its_stack(stack: RecordingMocks) -> None:
    """A secret is granted either by its exact ARN, its name carrying the stack, or by a
    name prefix with the stack-tag condition: never another stack's secret."""
    name = stack_name(stack)
    secrets = {
        s.outputs["arn"]: s.inputs["name"]
        for s in stack.of_type("aws:secretsmanager/secret:Secret")
    }
    grants = [
        (policy, statement)
        for policy, statement in policy_statements(stack)
        if "secretsmanager:GetSecretValue" in as_list(statement["Action"])
    ]
    assert grants
    for policy, statement in grants:
        condition = statement.get("Condition", {}).get("StringEquals", {})
        for resource in as_list(statement["Resource"]):
            if resource in secrets:
                assert secrets[resource].endswith(f"-{name}"), urn(policy)
            else:
                assert resource.endswith("*"), urn(policy)
                assert condition == {"secretsmanager:ResourceTag/stack": name}, urn(policy)


def test_every_scheduled_event_is_retried_then_kept_with_an_alarm(stack: RecordingMocks) -> None:
    """Issue 11: a rule's target retries as the stack says and keeps what it could not
    deliver; the function's own failed runs end, after their retries, in the same queue."""
    name = stack_name(stack)
    retry = setting(name, "failedEvents")
    queues = {q.outputs["arn"]: q for q in stack.of_type("aws:sqs/queue:Queue")}
    scheduled = {
        r.outputs["name"]
        for r in stack.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.inputs.get("scheduleExpression")
    }
    targets = [
        t
        for t in stack.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.inputs["rule"] in scheduled
    ]
    assert targets
    for target in targets:
        assert target.inputs["retryPolicy"] == {
            "maximumEventAgeInSeconds": retry["maximumEventAgeSeconds"],
            "maximumRetryAttempts": retry["maximumRetryAttempts"],
        }, urn(target)
        dlq = queues[target.inputs["deadLetterConfig"]["arn"]]
        assert dlq.inputs["name"].endswith(f"-failed-events-{name}"), urn(target)
        (policy,) = (
            p
            for p in stack.of_type("aws:sqs/queuePolicy:QueuePolicy")
            if p.inputs["queueUrl"] == dlq.outputs["url"]
        )
        (statement,) = json.loads(policy.inputs["policy"])["Statement"]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        rule_arns = {r.outputs["arn"] for r in stack.of_type("aws:cloudwatch/eventRule:EventRule")}
        assert set(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) <= rule_arns
    configs = {
        c.inputs["functionName"]: c
        for c in stack.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    }
    functions = {f.outputs["arn"]: f.inputs["name"] for f in stack.of_type(FUNCTION)}
    for target in targets:
        config = configs[functions[target.inputs["arn"]]].inputs
        assert config["maximumRetryAttempts"] == retry["maximumRetryAttempts"]
        destination = config["destinationConfig"]["onFailure"]["destination"]
        assert destination == target.inputs["deadLetterConfig"]["arn"], urn(target)
        alarm = [
            a
            for a in stack.of_type(ALARM)
            if a.inputs.get("dimensions", {}).get("QueueName")
            == queues[destination].outputs["name"]
        ]
        assert len(alarm) == 1 and alarm[0].inputs["threshold"] == 1


def test_every_event_source_is_a_queue_of_the_stack_or_a_tables_stream(
    stack: RecordingMocks,
) -> None:
    """So no SQS source escapes the six-times rule above (which skips what it does not
    know): each mapping reads a queue the program declares, held to the rule, or a stream,
    where nothing becomes visible again."""
    queues = {q.outputs["arn"] for q in stack.of_type("aws:sqs/queue:Queue")}
    tables = stack.of_type("aws:dynamodb/table:Table")
    streams = {t.outputs["streamArn"] for t in tables if t.outputs.get("streamArn")}
    mappings = stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mappings
    for mapping in mappings:
        assert mapping.inputs["eventSourceArn"] in queues | streams, urn(mapping)
