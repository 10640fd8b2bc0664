"""The local stack's configuration and what it describes of itself: the ``LocalStack``
(ports, state directory, what was started and where), the ``stack.json`` it writes for
scripts and tests (``description``, written whole or not at all) and reads back, and the
environment a local process gets (moto's endpoint and the local credentials).

Running the stack (starting, firing schedules, invoking now) is ``stack.py``'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from devstack import STATE_DIR
from devstack.declared import DeclaredFunction
from devstack.fakes.base import FakeServer
from devstack.fakes.faults import CONTROL_PATH
from devstack.outside import RealServices
from devstack.profiles import Profile, SeedContext, profiles, stack_entries
from devstack.services.awslambda.service import FunctionHosts
from devstack.services.cloudwatch.alarms import DEFAULT_SPEEDUP
from devstack.services.events.schedules import ScheduledTarget
from devstack.supervisor import Supervisor
from shared.env import API_URL

LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


@dataclass
class LocalStack:
    stack: str
    host: str
    moto_port: int
    http_port: int
    apps: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)
    fakes: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    log_dir: Path = STATE_DIR / "logs"
    # The alarms' e-mail: one JSON file per notification and recipient.
    inbox_dir: Path = STATE_DIR / "inbox"
    # Receive with this visibility instead of the queue's, so a failed message comes back
    # in seconds rather than 10 minutes; None honours the queue.
    redeliver_after: int | None = None
    # Wait this long before each retry of a failed asynchronous invocation, instead of
    # Lambda's one and two minutes; None honours Lambda.
    async_retry_delay: float | None = None
    # Alarm periods pass this many times faster (services/cloudwatch/alarms.py says which, and why).
    alarm_speedup: float = DEFAULT_SPEEDUP
    # Every API and worker process, each replaced when it exits (a crash, a timeout).
    supervisor: Supervisor = field(default_factory=Supervisor)
    schedules: list[ScheduledTarget] = field(default_factory=list)
    # The local Lambda service: runs functions on demand (schedules, state machines, invoke).
    functions: FunctionHosts | None = None
    state_machines: dict[str, str] = field(default_factory=dict)  # name -> ARN
    region: str = ""
    # What every function gets on top of its own environment: moto, the fakes.
    function_extras: dict[str, str] = field(default_factory=dict)
    # Outside services called for real (credentials given), instead of their fakes.
    credentials: RealServices = field(default_factory=RealServices)
    # Real Bedrock (a bedrock-runtime client) behind the local Converse, or None: the fake.
    bedrock: Any | None = None
    # The fakes started, by name (stack.json lists their URLs in ``fakes``).
    fake_servers: dict[str, FakeServer] = field(default_factory=dict)
    # The systems declared and run (None: every system of the registry).
    systems: tuple[str, ...] | None = None
    # What each system adds: fakes, demo data, stack.json entries.
    profiles: list[Profile] = field(default_factory=profiles)
    # The local console's URL (devstack/console), once it serves.
    console: str | None = None
    # Run the program and create its resources even if a snapshot of them is kept.
    fresh: bool = False
    # Seconds each phase of the start took, in order (stack.json's startup_seconds).
    startup: dict[str, float] = field(default_factory=dict)
    # What the profiles add to stack.json, asked once (some ask the local AWS): the user
    # pools and demo data they describe do not change while the stack runs.
    profile_entries: dict[str, Any] | None = None

    @property
    def aws_endpoint(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    def description(self) -> dict[str, Any]:
        if self.profile_entries is None:
            self.profile_entries = stack_entries(
                self.profiles, SeedContext(self.stack, self.credentials)
            )
        return {
            "apps": self.apps,
            "api_key": next(iter(self.api_keys.values()), None),
            "api_keys": self.api_keys,
            "aws_endpoint": self.aws_endpoint,
            "region": self.region,
            "fakes": self.fakes,
            # POST a fault here to rehearse an outage (README, "Rehearsing an outage").
            "fault_controls": {name: f"{url}{CONTROL_PATH}" for name, url in self.fakes.items()},
            "real": sorted(self.credentials.services() + (["bedrock"] if self.bedrock else [])),
            **self.profile_entries,
            "logs": str(self.log_dir),
            "inbox": str(self.inbox_dir),
            "console": self.console,
            "startup_seconds": self.startup,
        }


def aws_environment(local: LocalStack, region: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": local.aws_endpoint,
        "AWS_DEFAULT_REGION": region,
        **LOCAL_CREDENTIALS,
    }


def function_environment(local: LocalStack, function: DeclaredFunction) -> dict[str, str]:
    """What one function runs with here: the program's environment, pointed at moto and the
    fakes, and at the local API of its app for callbacks (Twilio's status callback)."""
    environment = {**function.environment, **local.function_extras}
    if function.app in local.apps:
        environment[API_URL] = local.apps[function.app]
    return environment


def write_description(local: LocalStack, path: Path) -> None:
    """Write stack.json whole, or not at all: scripts (and the tests' launcher) take its
    appearance to mean "running" and read it at once, so it is written aside and renamed
    into place (an atomic replace on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_name(f".{path.name}.writing")
    written.write_text(json.dumps(local.description(), indent=2) + "\n")
    written.replace(path)


def running_description(state_dir: Path) -> dict[str, Any]:
    """The running stack's stack.json.

    Raises:
        SystemExit: the stack is not running (there is no stack.json).
    """
    description_file = state_dir / "stack.json"
    if not description_file.is_file():
        raise SystemExit(f"the local stack is not running ({description_file}): run make dev")
    description: dict[str, Any] = json.loads(description_file.read_text())
    return description


def local_session(description: dict[str, Any]) -> boto3.session.Session:
    """A boto3 session for the running stack (its region, the local credentials); its
    clients take ``endpoint_url=description["aws_endpoint"]``."""
    return boto3.session.Session(
        region_name=description["region"],
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
