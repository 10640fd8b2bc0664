"""The whole program, both stacks: what every system must get right."""

from __future__ import annotations

from typing import Any

from infra.components.chalice_app import kebab
from infra.components.chalice_package import load_package
from infra.packaging import app_names
from shared.local.program import RecordingMocks
from shared.names import PROJECT, physical
from tests.infra.conftest import as_list, policy_statements, setting, urn

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
    for policy, statement in policy_statements(stack):
        assert "*" not in as_list(statement["Action"]), urn(policy)
        assert not any(a.endswith(":*") for a in as_list(statement["Action"])), urn(policy)
        assert "*" not in as_list(statement["Resource"]), urn(policy)


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
        queue = queues[mapping.inputs["eventSourceArn"]]
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


def test_prod_protects_every_table_and_queue_and_dev_does_not(
    stacks: dict[str, RecordingMocks],
) -> None:
    stateful = ("aws:dynamodb/table:Table", "aws:sqs/queue:Queue")
    for name, expected in (("dev", False), ("prod", True)):
        stack = stacks[name]
        resources = [r for r in stack.resources if r.type in stateful]
        assert resources
        for resource in resources:
            assert stack.is_protected(resource) is expected, f"{name}: {urn(resource)}"
        for table in stack.of_type("aws:dynamodb/table:Table"):
            assert table.inputs["deletionProtectionEnabled"] is expected, urn(table)
            assert table.inputs["pointInTimeRecovery"]["enabled"] is expected, urn(table)


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
    assert {a.inputs["name"] for a in apis} == {f"ai-multi-comms-{name}-api", f"mentions-{name}"}
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
