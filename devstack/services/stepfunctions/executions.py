"""One console line per transition of every state machine execution the local stack runs,
read from Step Functions' execution history: the same API a person would use to look."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

_TASK_FAILURES = {
    "TaskFailed",
    "TaskTimedOut",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionStartFailed",
}
_ENDINGS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


def _details(event: dict[str, Any]) -> dict[str, Any]:
    """An event's details: ``TaskFailed`` keeps them under ``taskFailedEventDetails``."""
    kind = str(event["type"])
    return dict(event.get(f"{kind[0].lower()}{kind[1:]}EventDetails") or {})


def _reason(details: dict[str, Any]) -> str:
    """``error: message``; a Lambda failure's cause is its error document, so its message."""
    error, cause = details.get("error", ""), str(details.get("cause") or "")
    try:
        document = json.loads(cause)
    except ValueError:
        document = None
    if isinstance(document, dict) and "errorMessage" in document:
        cause = str(document["errorMessage"])
    return f"{error}: {cause[:200]}" if cause else str(error)


def describe(event: dict[str, Any]) -> str | None:
    """The line for one history event, or None for the events a person need not see
    (scheduled, started, succeeded tasks, exited states)."""
    kind = str(event["type"])
    if kind == "ExecutionStarted":
        return "started"
    if kind.endswith("StateEntered"):
        return f"-> {event['stateEnteredEventDetails']['name']}"
    if kind in _TASK_FAILURES:
        return f"task failed: {_reason(_details(event))}"
    if kind == "ExecutionSucceeded":
        return "SUCCEEDED"
    if kind in _ENDINGS:
        return f"{_ENDINGS[kind]}: {_reason(_details(event))}"
    return None


class ExecutionWatcher:
    """Reports what happened since the last :meth:`poll`, execution by execution."""

    def __init__(
        self, sfn: SFNClient, state_machines: dict[str, str], only: str | None = None
    ) -> None:
        self.sfn = sfn
        self.state_machines = state_machines  # name -> ARN
        self.only = only  # one execution's ARN, or None for all
        self._reported: dict[str, int] = {}  # execution ARN -> last event id reported
        self._ended: set[str] = set()

    def poll(self) -> list[str]:
        lines = []
        for name, arn in self.state_machines.items():
            for execution in self._executions(arn):
                execution_arn = execution["executionArn"]
                if execution_arn in self._ended or self.only not in (None, execution_arn):
                    continue
                last = self._reported.get(execution_arn, 0)
                for event in self._history(execution_arn):
                    if event["id"] <= last:
                        continue
                    self._reported[execution_arn] = event["id"]
                    if event["type"] in _ENDINGS:
                        self._ended.add(execution_arn)
                    line = describe(event)
                    if line is not None:
                        lines.append(f"[sfn] {name}/{execution['name']}: {line}")
        return lines

    def _executions(self, arn: str) -> Iterator[Any]:
        for page in self.sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
            yield from page["executions"]

    def _history(self, execution_arn: str) -> Iterator[Any]:
        pages = self.sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        for page in pages:
            yield from page["events"]


def run_execution(
    sfn: SFNClient,
    machine_name: str,
    execution_input: str,
    report: Callable[[str], None],
    poll_seconds: float = 0.2,
) -> dict[str, Any]:
    """Start an execution of the state machine called ``machine_name``, report its
    transitions as they happen, and return its description once it has ended.

    Raises:
        LookupError: no state machine has that name (the message lists those there are).
    """
    machines = {
        m["name"]: m["stateMachineArn"]
        for page in sfn.get_paginator("list_state_machines").paginate()
        for m in page["stateMachines"]
    }
    if machine_name not in machines:
        raise LookupError(f"no state machine {machine_name!r}; there are {sorted(machines)}")
    arn = machines[machine_name]
    execution_arn = sfn.start_execution(stateMachineArn=arn, input=execution_input)["executionArn"]
    watcher = ExecutionWatcher(sfn, {machine_name: arn}, only=execution_arn)
    while True:
        # Described before the history is read: once it has ended, the history has it all.
        described = sfn.describe_execution(executionArn=execution_arn)
        for line in watcher.poll():
            report(line)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(poll_seconds)
