"""The local stack, measured as a user meets it.

1. Ready: from the command to ``.local/stack.json`` being written and then every API having
   answered a request, median of 3 boots with every system, against the same stack with
   one system (``--systems mentions``) in the same run, as a ratio; and where the time
   goes, per phase of the start (``startup_seconds`` in stack.json), medians over the
   boots. Twice: fresh (``--fresh``: the program runs and creates every resource, as the
   first start after a change to it does) and from the snapshot that start kept (every
   later start; ``devstack/snapshot.py``).
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

import shutil
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from devstack.launch import LaunchedStack, launch
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


@dataclass
class Boots:
    """Several starts of the same stack: to stack.json, then to every API's first answer."""

    described: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)

    def ready(self) -> float:
        return statistics.median(d + a for d, a in zip(self.described, self.answered, strict=True))


def boot(boots: Boots, *extra: str) -> LaunchedStack:
    """One start, recorded into ``boots``; the caller stops the stack."""
    state = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    stack = launch(state, *extra)
    boots.answered.append(first_answers(stack.description))
    boots.described.append(stack.boot_seconds)
    boots.phases.append(stack.description["startup_seconds"])
    return stack


def finish(stack: LaunchedStack) -> None:
    stack.stop()
    shutil.rmtree(stack.state_dir, ignore_errors=True)


def report(kind: str, every: Boots, one: Boots) -> None:
    print(
        f"{kind}: ready (stack.json, then every API answered), median of {BOOTS}: "
        f"every system {every.ready():.2f} s, {ONE_SYSTEM} alone {one.ready():.2f} s "
        f"(the baseline); {every.ready() / one.ready():.2f}x"
    )
    print(
        f"  stack.json written: every system {statistics.median(every.described):.2f} s "
        f"(min {min(every.described):.2f}, max {max(every.described):.2f}), then every API "
        f"answering +{statistics.median(every.answered):.2f} s ({ONE_SYSTEM} alone "
        f"{statistics.median(one.described):.2f} s, +{statistics.median(one.answered):.2f} s)"
    )
    every_phases, one_phases = phase_medians(every.phases), phase_medians(one.phases)
    for name, seconds in every_phases.items():
        alone = f"{one_phases[name]:6.2f} s" if name in one_phases else "     -  "
        print(f"  {name:<42} {seconds:6.2f} s   ({ONE_SYSTEM} alone {alone})")


def main() -> None:
    fresh_every, fresh_one, kept_every, kept_one = Boots(), Boots(), Boots(), Boots()
    for _ in range(BOOTS):  # a fresh start also keeps the snapshot the later ones restore
        finish(boot(fresh_every, "--fresh"))
        finish(boot(fresh_one, "--fresh", "--systems", ONE_SYSTEM))
    latencies: list[float] = []
    invocations: list[float] = []
    for run in range(BOOTS):
        stack = boot(kept_every)
        try:
            if run == 0:
                latencies = [latency_to_twilio(stack.description, i) for i in range(REQUESTS)]
                invocations = invocation_seconds(stack.description)
        finally:
            finish(stack)
        finish(boot(kept_one, "--systems", ONE_SYSTEM))
    report("Fresh start (the program runs)", fresh_every, fresh_one)
    report("Start from the kept snapshot", kept_every, kept_one)
    print(
        f"  the snapshot against a fresh start: every system "
        f"{fresh_every.ready() / kept_every.ready():.1f}x faster"
    )
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * len(ordered)) - 1]
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
