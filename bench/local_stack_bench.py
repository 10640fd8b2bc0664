"""The local stack, measured as a user meets it.

1. Boot: from the command to ``.local/stack.json`` being written (everything listening),
   median of 3 boots with every system, against the same stack with one system
   (``--systems mentions``) in the same run, as a ratio; and where the time goes, per phase
   of the start (``startup_seconds`` in stack.json), medians over the boots. An API listens
   before its app is imported (a first request waits for the import, as for a cold start),
   so the time from stack.json to every API's first answer is shown too.
2. Latency from ``POST /initiate-conversation`` to the fake Twilio holding the WhatsApp
   message (router -> SQS in moto -> processor worker -> fake OpenAI -> fake Twilio), over 50
   requests sent one after another: p50 and p95.
3. A function invoked through the local Lambda API (what a state machine's Lambda task, a
   schedule and ``make invoke`` do): the mentions ingester, 20 times. The first invocation
   starts its process (import of the app included): that is what every invocation would
   cost with a process per invocation, the baseline; the others reuse the warm process.

Run with ``make bench``. The worker long-polls SQS, so its poll interval is part of the
latency, as the Lambda service's is in AWS.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from devstack.launch import launch
from infra.registry import add_app_paths

add_app_paths()  # the profiles read each system's names from its app folder

BOOTS = 3
ONE_SYSTEM = "mentions"
REQUESTS = 50
INVOCATIONS = 20


def latency_to_twilio(stack: dict[str, Any], index: int) -> float:
    from devstack.profiles.comms import DEMO_TWILIO_ACCOUNT_SID, LOCAL_TWILIO_TOKEN

    to = f"+4477009{index:05d}"
    body = {
        "company_data": {"company_id": "ci-aaa-001", "project_id": "pi-aaa-001"},
        "recipient_data": {"recipient_tel": to, "comms_consent": True},
        "request_data": {
            "request_id": str(uuid.uuid4()),
            "channel_method": "whatsapp",
            "initial_request_timestamp": "2026-11-23T08:00:00Z",
        },
    }
    listing = (
        f"{stack['fakes']['twilio']}/2010-04-01/Accounts/{DEMO_TWILIO_ACCOUNT_SID}/Messages.json"
    )
    auth = (DEMO_TWILIO_ACCOUNT_SID, LOCAL_TWILIO_TOKEN)
    started = time.perf_counter()
    response = requests.post(
        f"{stack['apps']['comms']}/initiate-conversation",
        json=body,
        headers={"x-api-key": stack["api_key"]},
        timeout=10,
    )
    response.raise_for_status()
    while True:
        messages = requests.get(listing, auth=auth, timeout=10).json()["messages"]
        if any(m["to"] == f"whatsapp:{to}" for m in messages):
            return time.perf_counter() - started
        if time.perf_counter() - started > 30:
            raise TimeoutError(f"no message to {to} after 30 s")
        time.sleep(0.01)


def invocation_seconds(stack: dict[str, Any]) -> list[float]:
    """Each synchronous Invoke of the mentions ingester, the first one cold."""
    import json
    from datetime import UTC, datetime

    import boto3

    from devstack.services.events.schedules import scheduled_event

    client = boto3.client(
        "lambda",
        endpoint_url=stack["aws_endpoint"],
        region_name="eu-north-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    seconds = []
    for _ in range(INVOCATIONS):
        started = time.perf_counter()
        event = scheduled_event(
            "arn:aws:events:eu-north-1:1:rule/b", "eu-north-1", datetime.now(UTC)
        )
        response = client.invoke(
            FunctionName="mentions-ingest-mentions-dev", Payload=json.dumps(event).encode()
        )
        seconds.append(time.perf_counter() - started)
        if response.get("FunctionError"):
            raise RuntimeError(json.loads(response["Payload"].read()))
    return seconds


def first_answers(stack: dict[str, Any]) -> float:
    """Seconds until every API has answered one request (a keyless GET: the gateway's 403
    comes once the app is imported)."""
    started = time.perf_counter()
    for url in stack["apps"].values():
        requests.get(f"{url}/", timeout=30)
    return time.perf_counter() - started


def phase_medians(phases: list[dict[str, float]]) -> dict[str, float]:
    """Each phase's median over the boots, in the order the stack ran them."""
    return {name: statistics.median(p[name] for p in phases) for name in phases[0]}


def one_system_boots() -> tuple[list[float], list[dict[str, float]], list[float]]:
    boots, phases, answers = [], [], []
    for _ in range(BOOTS):
        with tempfile.TemporaryDirectory() as state:
            stack = launch(Path(state), "--systems", ONE_SYSTEM)
            answers.append(first_answers(stack.description))
            boots.append(stack.boot_seconds)
            phases.append(stack.description["startup_seconds"])
            stack.stop()
    return boots, phases, answers


def main() -> None:
    boots, answers = [], []
    phases: list[dict[str, float]] = []
    latencies: list[float] = []
    invocations: list[float] = []
    for run in range(BOOTS):
        with tempfile.TemporaryDirectory() as state:
            stack = launch(Path(state))
            answers.append(first_answers(stack.description))
            boots.append(stack.boot_seconds)
            phases.append(stack.description["startup_seconds"])
            try:
                if run == 0:
                    latencies = [latency_to_twilio(stack.description, i) for i in range(REQUESTS)]
                    invocations = invocation_seconds(stack.description)
            finally:
                stack.stop()
    one_boots, one_phases, one_answers = one_system_boots()
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * len(ordered)) - 1]
    every, one = statistics.median(boots), statistics.median(one_boots)
    print(
        f"boot (command -> stack.json), median of {BOOTS}: every system {every:.2f} s "
        f"(min {min(boots):.2f}, max {max(boots):.2f}); {ONE_SYSTEM} alone {one:.2f} s "
        f"(the baseline); {every / one:.2f}x"
    )
    print(
        f"  then every API answering: +{statistics.median(answers):.2f} s "
        f"({ONE_SYSTEM} alone +{statistics.median(one_answers):.2f} s)"
    )
    every_phases, one_phases_ = phase_medians(phases), phase_medians(one_phases)
    for name, seconds in every_phases.items():
        print(f"  {name:<34} {seconds:6.2f} s   ({ONE_SYSTEM} alone {one_phases_[name]:6.2f} s)")
    print(f"POST /initiate-conversation -> fake Twilio has the message, {REQUESTS} requests:")
    print(
        f"  p50 {statistics.median(latencies) * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms   "
        f"max {ordered[-1] * 1000:7.0f} ms"
    )
    cold, warm = invocations[0], statistics.median(invocations[1:])
    print(f"Invoke mentions-ingest-mentions-dev through the local Lambda API, {INVOCATIONS} times:")
    print(
        f"  first (starts the process; the baseline) {cold * 1000:7.0f} ms   "
        f"warm p50 {warm * 1000:7.0f} ms   ({cold / warm:.1f}x faster warm)"
    )


if __name__ == "__main__":
    main()
