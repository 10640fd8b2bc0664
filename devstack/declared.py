"""What the Pulumi program declares that the local stack runs: the functions (and which app
and handler each is, and what happens to their failed asynchronous invocations), the apps'
API functions, the SQS event-source mappings, the state machines and the schedules, read
from the recorded resources."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from devstack.declaration import Declaration, DeclaredResource
from devstack.services.cognito.auth import AUTHORIZERS_VARIABLE, UserPoolAuthorizer
from devstack.services.events.schedules import ScheduledTarget, parse_schedule
from infra.registry import SYSTEMS

FUNCTION = "aws:lambda/function:Function"
EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
SCHEDULER_SCHEDULE = "aws:scheduler/schedule:Schedule"
# Chalice's API handler: served by the local gateway, not polled or scheduled.
API_HANDLER = "app.app"


def function_name(reference: str) -> str:
    """The name in any form Invoke accepts: ``name``, ``name:alias``, the function's ARN
    (with or without a qualifier) or the partial ``<account>:function:<name>``."""
    return reference.split(":function:", 1)[-1].split(":", 1)[0]


@dataclass(frozen=True)
class AsyncInvokeConfig:
    """What Lambda does with a failed asynchronous invocation of the function (its
    ``FunctionEventInvokeConfig``; without one, Lambda's defaults): how many more attempts,
    how old the event may grow, and where the failure record goes after the last try."""

    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = 21_600
    on_failure: str | None = None  # an SQS queue's or SNS topic's ARN


@dataclass(frozen=True)
class DeclaredFunction:
    """One Lambda function of the program, as the local stack runs it: the app whose
    ``app.py`` holds it (its ``system`` tag), the handler, limits and environment."""

    name: str
    arn: str
    app: str
    handler: str
    timeout: int
    memory: int
    environment: dict[str, str]
    async_config: AsyncInvokeConfig = AsyncInvokeConfig()


def _async_config(resource: DeclaredResource) -> AsyncInvokeConfig:
    inputs, defaults = resource.inputs, AsyncInvokeConfig()
    retries, age = inputs.get("maximumRetryAttempts"), inputs.get("maximumEventAgeInSeconds")
    destinations = inputs.get("destinationConfig") or {}
    return AsyncInvokeConfig(
        maximum_retry_attempts=defaults.maximum_retry_attempts if retries is None else int(retries),
        maximum_event_age_seconds=defaults.maximum_event_age_seconds if age is None else int(age),
        on_failure=(destinations.get("onFailure") or {}).get("destination"),
    )


def _function(
    resource: DeclaredResource, configs: dict[str, AsyncInvokeConfig]
) -> DeclaredFunction:
    inputs = resource.inputs
    return DeclaredFunction(
        name=str(inputs["name"]),
        arn=str(resource.outputs["arn"]),
        app=str(inputs["tags"]["system"]),
        handler=str(inputs["handler"]),
        timeout=int(inputs.get("timeout") or 3),  # Lambda's default
        memory=int(inputs.get("memorySize") or 128),
        environment=dict((inputs.get("environment") or {}).get("variables") or {}),
        async_config=configs.get(str(inputs["name"]), AsyncInvokeConfig()),
    )


def declared_functions(mocks: Declaration) -> dict[str, DeclaredFunction]:
    """Every function of the program, by name."""
    configs = {
        function_name(str(c.inputs["functionName"])): _async_config(c)
        for c in mocks.of_type(EVENT_INVOKE_CONFIG)
    }
    functions = (_function(f, configs) for f in mocks.of_type(FUNCTION))
    return {f.name: f for f in functions}


def state_machine_arns(mocks: Declaration) -> dict[str, str]:
    """Every state machine of the program: its ARN by name."""
    return {str(m.inputs["name"]): str(m.outputs["arn"]) for m in mocks.of_type(STATE_MACHINE)}


def api_apps(mocks: Declaration) -> dict[str, tuple[dict[str, str], str]]:
    """Each app with routes: its API function's environment and its API key, by app name,
    in the registry's order (a program's other apps after, by name), so each app keeps its
    port when a system is added (the registry's first 8000, its second 8001, ...), and
    stack.json's first key is the first system's.

    A function and its API's key belong together when they carry the same ``system`` tag.
    """
    keys = {
        k.inputs["tags"]["system"]: str(k.outputs["value"])
        for k in mocks.of_type("aws:apigateway/apiKey:ApiKey")
    }
    apps = {
        f.app: (f.environment, keys[f.app])
        for f in declared_functions(mocks).values()
        if f.handler == API_HANDLER
    }

    return {app: apps[app] for app in sorted(apps, key=lambda app: (app_place(app), app))}


def app_place(app: str) -> int:
    """An app's place in the registry (an app of no system after them all): its API's port
    is the first port plus this, whichever systems run, so none moves when one is added."""
    return SYSTEMS.index(app) if app in SYSTEMS else len(SYSTEMS)


def api_authorizers(mocks: Declaration, app: str) -> dict[str, UserPoolAuthorizer]:
    """The Cognito authorizers of an app's API, by name, as the program declares them in the
    API's Swagger (pools by ARN), with the app clients the program declares for each pool."""
    pools = {p.outputs["arn"]: p.id for p in mocks.of_type("aws:cognito/userPool:UserPool")}
    clients = mocks.of_type("aws:cognito/userPoolClient:UserPoolClient")
    found: dict[str, UserPoolAuthorizer] = {}
    for api in mocks.of_type("aws:apigateway/restApi:RestApi"):
        if api.inputs["tags"]["system"] != app:
            continue
        for name, spec in json.loads(api.inputs["body"]).get("securityDefinitions", {}).items():
            if spec.get("x-amazon-apigateway-authtype") != "cognito_user_pools":
                continue
            arns = tuple(spec["x-amazon-apigateway-authorizer"]["providerARNs"])
            ids = {pools.get(arn) for arn in arns}
            found[name] = UserPoolAuthorizer(
                arns, frozenset(c.id for c in clients if c.inputs["userPoolId"] in ids)
            )
    return found


def gateway_settings(mocks: Declaration, app: str) -> dict[str, str]:
    """What an app's local gateway reads besides its API key: its Cognito authorizers."""
    authorizers = {n: a.as_json() for n, a in api_authorizers(mocks, app).items()}
    return {AUTHORIZERS_VARIABLE: json.dumps(authorizers)}


@dataclass(frozen=True)
class SqsWorker:
    """One event-source mapping of the program, as the local stack runs it."""

    function: DeclaredFunction
    queue_url: str
    queue_arn: str
    batch_size: int


def sqs_workers(mocks: Declaration) -> list[SqsWorker]:
    """Every event-source mapping of the program that polls a queue."""
    functions = {f.arn: f for f in declared_functions(mocks).values()}
    queues = {q.outputs["arn"]: q for q in mocks.of_type("aws:sqs/queue:Queue")}
    workers = []
    for mapping in mocks.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        queue = queues.get(mapping.inputs["eventSourceArn"])
        if queue is None:  # a table's stream (``services/dynamodb/streams.py``)
            continue
        workers.append(
            SqsWorker(
                function=functions[mapping.inputs["functionName"]],
                queue_url=queue.outputs["url"],
                queue_arn=queue.outputs["arn"],
                batch_size=int(mapping.inputs["batchSize"]),
            )
        )
    return workers


def _runnable(arn: str) -> bool:
    """A function or state machine: what the local stack delivers schedules to (EventBridge
    can target others). One the program does not declare fails to be delivered, as in AWS."""
    return arn.startswith("arn:aws:lambda:") or arn.startswith("arn:aws:states:")


def scheduled_targets(mocks: Declaration, now: datetime) -> list[ScheduledTarget]:
    """Every schedule rule of the program whose target is a function or a state machine,
    with the dead-letter queue its target declares."""
    targets = {t.inputs["rule"]: t for t in mocks.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    scheduled = []
    for rule in mocks.of_type("aws:cloudwatch/eventRule:EventRule"):
        target = targets.get(rule.outputs["name"])
        expression = rule.inputs.get("scheduleExpression")
        if not expression or target is None or not _runnable(str(target.inputs["arn"])):
            continue
        schedule = parse_schedule(expression)
        scheduled.append(
            ScheduledTarget(
                rule=rule.outputs["arn"],
                schedule=schedule,
                target_arn=str(target.inputs["arn"]),
                input=target.inputs.get("input"),
                next_fire=schedule.next_after(now),
                dead_letter_arn=(target.inputs.get("deadLetterConfig") or {}).get("arn"),
            )
        )
    return scheduled + scheduler_targets(mocks, now)


def scheduler_targets(mocks: Declaration, now: datetime) -> list[ScheduledTarget]:
    """Every EventBridge Scheduler schedule of the program (enabled, targeting a function or
    a state machine), evaluated in its time zone, with its input template and its target's
    dead-letter queue."""
    scheduled = []
    for resource in mocks.of_type(SCHEDULER_SCHEDULE):
        inputs, target = resource.inputs, resource.inputs["target"]
        if inputs.get("state") == "DISABLED" or not _runnable(str(target["arn"])):
            continue
        schedule = parse_schedule(
            inputs["scheduleExpression"], inputs.get("scheduleExpressionTimezone") or "UTC"
        )
        scheduled.append(
            ScheduledTarget(
                rule=str(resource.outputs["arn"]),
                schedule=schedule,
                target_arn=str(target["arn"]),
                input=target.get("input"),
                next_fire=schedule.next_after(now),
                dead_letter_arn=(target.get("deadLetterConfig") or {}).get("arn"),
                scheduler=True,
            )
        )
    return scheduled
