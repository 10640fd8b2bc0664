"""``make dev``: the dev stack on this machine.

1. a moto server on loopback;
2. every resource of the stack, created in it by running the Pulumi program under
   ``MotoMocks`` (no second list of resources exists anywhere);
3. demo data (one active company/project);
4. each app with routes served in its own process, with the environment the program gives its
   API function and the API key the program declares;
5. ``.local/stack.json`` describing all of it, printed for a person too.

Ctrl-C (or SIGTERM) stops the app processes and the moto server.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from shared.env import API_URL, MENTIONMIND_BASE_URL, MENTIONMIND_PROJECT_IDS, TWILIO_API_BASE_URL
from shared.local.declared import api_apps, scheduled_targets, sqs_workers
from shared.local.demo import (
    DEMO_COMPANY_ID,
    DEMO_PROJECT_ID,
    DEMO_TWILIO_ACCOUNT_SID,
    demo_company_config,
    demo_mentions,
    demo_secrets,
)
from shared.local.fake_arns import OfflineMocks
from shared.local.fakes.base import FakeServer
from shared.local.fakes.mentionmind import FakeMentionMind
from shared.local.fakes.openai import FakeOpenAI
from shared.local.fakes.twilio import FakeTwilio
from shared.local.moto_mocks import MotoMocks
from shared.local.outside import RealCredentials, real_credentials
from shared.local.program import ROOT, RecordingMocks, run_program, stack_values
from shared.local.schedules import ScheduledTarget
from shared.names import COMPANY_DATA_TABLE, MENTIONMIND_SECRET, OPENAI_SECRET, physical

STATE_DIR = ROOT / ".local"
# What the fakes accept; the demo secrets hold them.
LOCAL_TWILIO_TOKEN = "local-twilio-auth-token"
LOCAL_OPENAI_KEY = "sk-local-fake"
LOCAL_MENTIONMIND_KEY = "mm-local-fake"
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
    # Receive with this visibility instead of the queue's, so a failed message comes back
    # in seconds rather than 10 minutes; None honours the queue.
    redeliver_after: int | None = None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    # One-shot invocations (schedules): not watched like the long-running processes.
    invocations: list[subprocess.Popen[bytes]] = field(default_factory=list)
    schedules: list[ScheduledTarget] = field(default_factory=list)
    region: str = ""
    # What every function gets on top of its own environment: moto, the fakes.
    function_extras: dict[str, str] = field(default_factory=dict)
    # Outside services called for real (credentials given), instead of their fakes.
    credentials: RealCredentials = field(default_factory=RealCredentials)

    @property
    def aws_endpoint(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    def description(self) -> dict[str, Any]:
        return {
            "apps": self.apps,
            "api_key": next(iter(self.api_keys.values()), None),
            "api_keys": self.api_keys,
            "aws_endpoint": self.aws_endpoint,
            "fakes": self.fakes,
            "real": self.credentials.services(),
            "demo": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID},
            "logs": str(self.log_dir),
        }


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def aws_environment(local: LocalStack, region: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": local.aws_endpoint,
        "AWS_DEFAULT_REGION": region,
        **LOCAL_CREDENTIALS,
    }


def api_environment(app: str, stack: str, moto_port: int) -> dict[str, str]:
    """What the program gives an app's API function, pointed at a moto server on loopback.

    The program runs offline (nothing is created): the names are what ``make dev`` creates.
    """
    region = str(stack_values(stack)["aws:region"])
    mocks = run_program(stack, OfflineMocks(region))
    function_env, _ = api_apps(mocks, stack)[app]
    local = LocalStack(stack=stack, host="127.0.0.1", moto_port=moto_port, http_port=0)
    return {**function_env, **aws_environment(local, region)}


def seed_demo_data(stack: str, real: RealCredentials) -> None:
    """The demo company and its secrets: the credentials the fakes accept, or the real ones
    given (then the company sends from the real account's number and template)."""
    company = demo_company_config()
    twilio_sid, twilio_token = DEMO_TWILIO_ACCOUNT_SID, LOCAL_TWILIO_TOKEN
    if real.twilio is not None:
        twilio_sid, twilio_token = real.twilio.account_sid, real.twilio.auth_token
        channels = company["channel_config"]
        channels["whatsapp"]["company_whatsapp_number"] = real.twilio.from_number
        channels["whatsapp"]["content_sid"] = real.twilio.content_sid
        channels["sms"]["company_sms_number"] = real.twilio.from_number
    table = boto3.resource("dynamodb").Table(physical(COMPANY_DATA_TABLE, stack))
    table.put_item(Item=company)
    secrets = boto3.client("secretsmanager")
    openai_secret = physical(OPENAI_SECRET, stack)
    values = demo_secrets(
        openai_secret, twilio_token, real.openai_key or LOCAL_OPENAI_KEY, twilio_sid
    )
    for name, value in values.items():
        if name == openai_secret:  # declared by the program, without a value
            secrets.put_secret_value(SecretId=name, SecretString=json.dumps(value))
        else:
            secrets.create_secret(Name=name, SecretString=json.dumps(value))
    secrets.put_secret_value(  # declared by the program, without a value
        SecretId=physical(MENTIONMIND_SECRET, stack),
        SecretString=json.dumps({"api_key": real.mentionmind_key or LOCAL_MENTIONMIND_KEY}),
    )


def start(local: LocalStack, exits: ExitStack) -> None:
    region = str(stack_values(local.stack)["aws:region"])
    server = ThreadedMotoServer(ip_address=local.host, port=local.moto_port, verbose=False)
    server.start()
    exits.callback(server.stop)
    os.environ.update(aws_environment(local, region))

    mocks = run_program(local.stack, MotoMocks(region), local.overrides)
    fakes_env = start_fakes(local, exits, mentionmind_projects(mocks))
    local.region = region
    local.function_extras = {**aws_environment(local, region), **fakes_env}
    local.schedules = scheduled_targets(mocks, datetime.now(UTC))
    seed_demo_data(local.stack, local.credentials)

    port = local.http_port
    for app, (function_env, api_key) in api_apps(mocks, local.stack).items():
        environment = {**function_env, **fakes_env, "LOCAL_API_KEY": api_key}
        spawn(
            local,
            exits,
            f"{app}-api",
            environment,
            region,
            ["shared.local.gateway", app, "--host", local.host, "--port", str(port)],
        )
        wait_for_port(local.host, port)
        local.apps[app] = f"http://{local.host}:{port}"
        local.api_keys[app] = api_key
        port += 1
    for worker in sqs_workers(mocks):
        environment = {**worker.environment, **fakes_env}
        if worker.app in local.apps:  # callbacks (Twilio's) go to the local API
            environment[API_URL] = local.apps[worker.app]
        redelivery = (
            ["--visibility-timeout", str(local.redeliver_after)]
            if local.redeliver_after is not None
            else []
        )
        spawn(
            local,
            exits,
            worker.function_name,
            environment,
            region,
            [
                "shared.local.worker",
                worker.app,
                worker.handler,
                "--function-name",
                worker.function_name,
                "--queue-url",
                worker.queue_url,
                "--queue-arn",
                worker.queue_arn,
                "--batch-size",
                str(worker.batch_size),
                "--timeout",
                str(worker.timeout),
                "--region",
                region,
                *redelivery,
            ],
        )


def spawn(
    local: LocalStack,
    exits: ExitStack,
    name: str,
    environment: dict[str, str],
    region: str,
    module_and_args: list[str],
) -> None:
    """Run one function's process: its structured logs (stdout) go to ``logs/<name>.log``,
    its one-line events (stderr) to the console; stopped when the stack stops."""
    local.log_dir.mkdir(parents=True, exist_ok=True)
    log_file = (local.log_dir / f"{name}.log").open("ab")
    exits.callback(log_file.close)
    process = subprocess.Popen(
        [sys.executable, "-m", *module_and_args],
        env={**os.environ, **environment, **aws_environment(local, region)},
        cwd=ROOT,
        stdout=log_file,
    )
    local.processes.append(process)
    exits.callback(stop_process, process)


def mentionmind_projects(mocks: RecordingMocks) -> list[str]:
    """The MentionMind projects the program tells its functions to ingest."""
    return sorted(
        {
            project
            for function in mocks.of_type("aws:lambda/function:Function")
            for project in json.loads(
                function.inputs["environment"]["variables"].get(MENTIONMIND_PROJECT_IDS, "[]")
            )
        }
    )


def start_fakes(local: LocalStack, exits: ExitStack, projects: list[str]) -> dict[str, str]:
    """The fakes of the services without real credentials (MentionMind's holding demo
    mentions for each project), and the environment that points the clients at them."""
    mentionmind = FakeMentionMind({LOCAL_MENTIONMIND_KEY})
    for project in projects:
        mentionmind.mentions[project] = demo_mentions(datetime.now(UTC))
    fakes: dict[str, FakeServer] = {
        "openai": FakeOpenAI({LOCAL_OPENAI_KEY}),
        "twilio": FakeTwilio({DEMO_TWILIO_ACCOUNT_SID: LOCAL_TWILIO_TOKEN}),
        "mentionmind": mentionmind,
    }
    real = local.credentials.services()
    for name, fake in fakes.items():
        if name in real:
            continue
        fake.start(local.host)
        exits.callback(fake.stop)
        local.fakes[name] = fake.url
    return fakes_environment(local.fakes)


def fakes_environment(fakes: dict[str, str]) -> dict[str, str]:
    """The variables that point each client at its fake (none for a service called for
    real: its SDK's default address is the real one)."""
    variables = {
        "openai": ("OPENAI_BASE_URL", "/v1"),
        "twilio": (TWILIO_API_BASE_URL, ""),
        "mentionmind": (MENTIONMIND_BASE_URL, ""),
    }
    return {
        variable: f"{fakes[name]}{suffix}"
        for name, (variable, suffix) in variables.items()
        if name in fakes
    }


def fire(local: LocalStack, exits: ExitStack, target: ScheduledTarget) -> None:
    """Run the target once with a scheduled event, in its own process."""
    print(
        f"[schedule] {target.schedule.expression} fired -> {target.function_name}",
        file=sys.stderr,
        flush=True,
    )
    local.log_dir.mkdir(parents=True, exist_ok=True)
    log_file = (local.log_dir / f"{target.function_name}.log").open("ab")
    exits.callback(log_file.close)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.local.invoke",
            target.app,
            target.handler,
            "--function-name",
            target.function_name,
            "--rule-arn",
            target.rule,
            "--region",
            local.region,
        ],
        env={**os.environ, **target.environment, **local.function_extras},
        cwd=ROOT,
        stdout=log_file,
    )
    local.invocations.append(process)
    exits.callback(stop_process, process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def write_description(local: LocalStack, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(local.description(), indent=2) + "\n")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(
    stack: str,
    host: str,
    moto_port: int,
    http_port: int,
    state_dir: Path = STATE_DIR,
    overrides: dict[str, Any] | None = None,
    redeliver_after: int | None = None,
) -> None:
    """Start everything, then wait for Ctrl-C or SIGTERM and stop everything."""
    # Explicitly, because a process started in the background by a script inherits SIGINT
    # as ignored, and Ctrl-C (or `kill -INT`) must still stop the stack.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto: one line per AWS call
    try:
        credentials = real_credentials(os.environ)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    local = LocalStack(
        stack=stack,
        host=host,
        moto_port=moto_port,
        http_port=http_port,
        overrides=overrides or {},
        redeliver_after=redeliver_after,
        log_dir=state_dir / "logs",
        credentials=credentials,
    )
    with ExitStack() as exits:
        started = time.monotonic()
        start(local, exits)
        write_description(local, state_dir / "stack.json")
        # Gone when the stack stops: its presence means "running".
        exits.callback((state_dir / "stack.json").unlink, missing_ok=True)
        print(json.dumps(local.description(), indent=2))
        print(
            f"local stack '{stack}' ready in {time.monotonic() - started:.1f}s "
            f"({state_dir / 'stack.json'}); Ctrl-C stops it",
            flush=True,
        )
        try:
            while all(p.poll() is None for p in local.processes):
                now = datetime.now(UTC)
                for target in local.schedules:
                    if target.due(now):
                        fire(local, exits, target)
                time.sleep(0.5)
            print("an app process exited; stopping", file=sys.stderr)
        except KeyboardInterrupt:
            print("stopping", flush=True)
        # A second Ctrl-C must not cut the clean-up short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def invoke_now(app: str, handler_name: str, stack: str, state_dir: Path) -> int:
    """Run one function of the running local stack once, with a scheduled event, as its
    schedule would; returns the process's exit code. Its JSON logs go where the stack's
    go (``logs/<function>.log``); the one-line result to the console.

    Raises:
        SystemExit: the stack is not running, or the app has no such function.
    """
    description_file = state_dir / "stack.json"
    if not description_file.is_file():
        raise SystemExit(f"the local stack is not running ({description_file}): run make dev")
    description = json.loads(description_file.read_text())
    region = str(stack_values(stack)["aws:region"])
    mocks = run_program(stack, OfflineMocks(region))
    functions = [
        f
        for f in mocks.of_type("aws:lambda/function:Function")
        if f.inputs["tags"]["system"] == app and f.inputs["handler"] != "app.app"  # HTTP only
    ]
    chosen = [f for f in functions if f.inputs["handler"] == f"app.{handler_name}"]
    if not chosen:
        names_ = sorted(f.inputs["handler"].removeprefix("app.") for f in functions)
        raise SystemExit(f"{app} has no function {handler_name!r}; it has {names_}")
    function = chosen[0]
    environment = {
        **os.environ,
        **function.inputs["environment"]["variables"],
        "AWS_ENDPOINT_URL": description["aws_endpoint"],
        "AWS_DEFAULT_REGION": region,
        **LOCAL_CREDENTIALS,
        **fakes_environment(description["fakes"]),
    }
    log_path = Path(description["logs"]) / f"{function.inputs['name']}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"[invoke] {function.inputs['name']} (logs: {log_path})", file=sys.stderr, flush=True)
    with log_path.open("ab") as log_file:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "shared.local.invoke",
                app,
                function.inputs["handler"],
                "--function-name",
                function.inputs["name"],
                "--region",
                region,
            ],
            env=environment,
            cwd=ROOT,
            stdout=log_file,
            check=False,
        ).returncode
