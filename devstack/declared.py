"""What the Pulumi program declares that the local stack runs: the functions (and which app
and handler each is), the apps' API functions, the SQS event-source mappings, the state
machines and the schedules, read from the recorded resources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from devstack.program import DeclaredResource, RecordingMocks
from devstack.schedules import ScheduledTarget, parse_schedule

FUNCTION = "aws:lambda/function:Function"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
# Chalice's API handler: served by the local gateway, not polled or scheduled.
API_HANDLER = "app.app"


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


def _function(resource: DeclaredResource) -> DeclaredFunction:
    inputs = resource.inputs
    return DeclaredFunction(
        name=str(inputs["name"]),
        arn=str(resource.outputs["arn"]),
        app=str(inputs["tags"]["system"]),
        handler=str(inputs["handler"]),
        timeout=int(inputs.get("timeout") or 3),  # Lambda's default
        memory=int(inputs.get("memorySize") or 128),
        environment=dict((inputs.get("environment") or {}).get("variables") or {}),
    )


def declared_functions(mocks: RecordingMocks) -> dict[str, DeclaredFunction]:
    """Every function of the program, by name."""
    functions = (_function(f) for f in mocks.of_type(FUNCTION))
    return {f.name: f for f in functions}


def state_machine_arns(mocks: RecordingMocks) -> dict[str, str]:
    """Every state machine of the program: its ARN by name."""
    return {str(m.inputs["name"]): str(m.outputs["arn"]) for m in mocks.of_type(STATE_MACHINE)}


def api_apps(mocks: RecordingMocks) -> dict[str, tuple[dict[str, str], str]]:
    """Each app with routes: its API function's environment and its API key, by app name,
    in name order (so each app's port, and the key stack.json shows first, are stable).

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
    return dict(sorted(apps.items()))


@dataclass(frozen=True)
class SqsWorker:
    """One event-source mapping of the program, as the local stack runs it."""

    function: DeclaredFunction
    queue_url: str
    queue_arn: str
    batch_size: int


def sqs_workers(mocks: RecordingMocks) -> list[SqsWorker]:
    functions = {f.arn: f for f in declared_functions(mocks).values()}
    queues = {q.outputs["arn"]: q for q in mocks.of_type("aws:sqs/queue:Queue")}
    workers = []
    for mapping in mocks.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        queue = queues[mapping.inputs["eventSourceArn"]]
        workers.append(
            SqsWorker(
                function=functions[mapping.inputs["functionName"]],
                queue_url=queue.outputs["url"],
                queue_arn=queue.outputs["arn"],
                batch_size=int(mapping.inputs["batchSize"]),
            )
        )
    return workers


def scheduled_targets(mocks: RecordingMocks, now: datetime) -> list[ScheduledTarget]:
    """Every schedule rule of the program whose target is one of its functions or state
    machines (EventBridge can target others; the local stack runs only these two)."""
    runnable = {f.arn for f in declared_functions(mocks).values()}
    runnable |= set(state_machine_arns(mocks).values())
    targets = {t.inputs["rule"]: t for t in mocks.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    scheduled = []
    for rule in mocks.of_type("aws:cloudwatch/eventRule:EventRule"):
        target = targets.get(rule.outputs["name"])
        expression = rule.inputs.get("scheduleExpression")
        if not expression or target is None or target.inputs["arn"] not in runnable:
            continue
        schedule = parse_schedule(expression)
        scheduled.append(
            ScheduledTarget(
                rule=rule.outputs["arn"],
                schedule=schedule,
                target_arn=str(target.inputs["arn"]),
                input=target.inputs.get("input"),
                next_fire=schedule.next_after(now),
            )
        )
    return scheduled
