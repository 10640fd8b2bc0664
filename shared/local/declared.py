"""What the Pulumi program declares that the local stack runs: the apps' API functions,
the SQS event-source mappings and the schedules, read from the recorded resources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.local.program import RecordingMocks
from shared.local.schedules import ScheduledTarget, parse_schedule


def api_apps(mocks: RecordingMocks, stack: str) -> dict[str, tuple[dict[str, str], str]]:
    """Each app with routes: its API function's environment and its API key, by app name,
    in name order (so each app's port, and the key stack.json shows first, are stable).

    A function and its API's key belong together when they carry the same ``system`` tag.
    """
    keys = {
        k.inputs["tags"]["system"]: str(k.outputs["value"])
        for k in mocks.of_type("aws:apigateway/apiKey:ApiKey")
    }
    apps: dict[str, tuple[dict[str, str], str]] = {}
    for function in mocks.of_type("aws:lambda/function:Function"):
        if function.inputs["handler"] == "app.app":  # Chalice's API handler
            app = str(function.inputs["name"]).removesuffix(f"-api-handler-{stack}")
            environment = dict(function.inputs["environment"]["variables"])
            apps[app] = (environment, keys[function.inputs["tags"]["system"]])
    return dict(sorted(apps.items()))


@dataclass(frozen=True)
class SqsWorker:
    """One event-source mapping of the program, as the local stack runs it."""

    app: str
    function_name: str
    handler: str
    timeout: int
    environment: dict[str, str]
    queue_url: str
    queue_arn: str
    batch_size: int


def sqs_workers(mocks: RecordingMocks) -> list[SqsWorker]:
    functions = {f.outputs["arn"]: f for f in mocks.of_type("aws:lambda/function:Function")}
    queues = {q.outputs["arn"]: q for q in mocks.of_type("aws:sqs/queue:Queue")}
    workers = []
    for mapping in mocks.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        function = functions[mapping.inputs["functionName"]]
        queue = queues[mapping.inputs["eventSourceArn"]]
        workers.append(
            SqsWorker(
                app=function.inputs["tags"]["system"],
                function_name=function.inputs["name"],
                handler=function.inputs["handler"],
                timeout=int(function.inputs["timeout"]),
                environment=dict(function.inputs["environment"]["variables"]),
                queue_url=queue.outputs["url"],
                queue_arn=queue.outputs["arn"],
                batch_size=int(mapping.inputs["batchSize"]),
            )
        )
    return workers


def scheduled_targets(mocks: RecordingMocks, now: datetime) -> list[ScheduledTarget]:
    """Every schedule rule of the program whose target is one of its functions."""
    functions = {f.outputs["arn"]: f for f in mocks.of_type("aws:lambda/function:Function")}
    targets = {t.inputs["rule"]: t for t in mocks.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    scheduled = []
    for rule in mocks.of_type("aws:cloudwatch/eventRule:EventRule"):
        target = targets.get(rule.outputs["name"])
        expression = rule.inputs.get("scheduleExpression")
        if not expression or target is None or target.inputs["arn"] not in functions:
            continue
        function = functions[target.inputs["arn"]]
        schedule = parse_schedule(expression)
        scheduled.append(
            ScheduledTarget(
                rule=rule.outputs["arn"],
                schedule=schedule,
                app=function.inputs["tags"]["system"],
                function_name=function.inputs["name"],
                handler=function.inputs["handler"],
                environment=dict(function.inputs["environment"]["variables"]),
                next_fire=schedule.next_after(now),
            )
        )
    return scheduled
