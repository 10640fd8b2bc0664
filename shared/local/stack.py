"""``make dev``: the dev stack on this machine.

1. a moto server on loopback, with state machine execution on and the local Lambda service
   in front (every declared function invocable through it, ``lambda_service.py``);
2. every resource of the stack, created in it by running the Pulumi program under
   ``MotoMocks`` (no second list of resources exists anywhere);
3. demo data (one active company/project);
4. each app with routes served in its own process, with the environment the program gives its
   API function and the API key the program declares; each SQS event source polled by a
   worker process; each schedule fired on time (a function invoked, an execution started);
5. ``.local/stack.json`` describing all of it, printed for a person too; then one console
   line per request, message, invocation and state transition.

Ctrl-C (or SIGTERM) stops the app processes and the moto server.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from shared.env import API_URL, MENTIONMIND_BASE_URL, MENTIONMIND_PROJECT_IDS, TWILIO_API_BASE_URL
from shared.local.aws_server import LocalAwsServer
from shared.local.declared import (
    API_HANDLER,
    DeclaredFunction,
    api_apps,
    declared_functions,
    scheduled_targets,
    sqs_workers,
    state_machine_arns,
)
from shared.local.demo import (
    DEMO_COMPANY_ID,
    DEMO_PROJECT_ID,
    DEMO_TWILIO_ACCOUNT_SID,
    demo_company_config,
    demo_mentions,
    demo_secrets,
)
from shared.local.executions import ExecutionWatcher, run_execution
from shared.local.fake_arns import ACCOUNT_ID, OfflineMocks
from shared.local.fakes.base import FakeServer
from shared.local.fakes.mentionmind import FakeMentionMind
from shared.local.fakes.openai import FakeOpenAI
from shared.local.fakes.twilio import FakeTwilio
from shared.local.lambda_service import FunctionHosts
from shared.local.moto_mocks import MotoMocks
from shared.local.outside import RealCredentials, real_credentials
from shared.local.processes import start_logged, stop_process, wait_for_port
from shared.local.program import ROOT, RecordingMocks, run_program, stack_values
from shared.local.schedules import ScheduledTarget, scheduled_event
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
    schedules: list[ScheduledTarget] = field(default_factory=list)
    # The local Lambda service: runs functions on demand (schedules, state machines, invoke).
    functions: FunctionHosts | None = None
    state_machines: dict[str, str] = field(default_factory=dict)  # name -> ARN
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
            "region": self.region,
            "fakes": self.fakes,
            "real": self.credentials.services(),
            "demo": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID},
            "logs": str(self.log_dir),
        }


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
    function_env, _ = api_apps(mocks)[app]
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


def function_environment(local: LocalStack, function: DeclaredFunction) -> dict[str, str]:
    """What one function runs with here: the program's environment, pointed at moto and the
    fakes, and at the local API of its app for callbacks (Twilio's status callback)."""
    environment = {**function.environment, **local.function_extras}
    if function.app in local.apps:
        environment[API_URL] = local.apps[function.app]
    return environment


def start(local: LocalStack, exits: ExitStack) -> None:
    region = str(stack_values(local.stack)["aws:region"])
    local.region = region
    functions = FunctionHosts(local.host, local.log_dir)
    exits.callback(functions.stop)
    server = LocalAwsServer(local.host, local.moto_port, functions)
    server.start()
    exits.callback(server.stop)
    os.environ.update(aws_environment(local, region))

    mocks = run_program(local.stack, MotoMocks(region), local.overrides)
    fakes_env = start_fakes(local, exits, mentionmind_projects(mocks))
    local.function_extras = {**aws_environment(local, region), **fakes_env}
    functions.declare(declared_functions(mocks).values(), partial(function_environment, local))
    local.functions = functions
    local.state_machines = state_machine_arns(mocks)
    local.schedules = scheduled_targets(mocks, datetime.now(UTC))
    seed_demo_data(local.stack, local.credentials)

    port = local.http_port
    for app, (function_env, api_key) in api_apps(mocks).items():
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
        function = worker.function
        redelivery = (
            ["--visibility-timeout", str(local.redeliver_after)]
            if local.redeliver_after is not None
            else []
        )
        spawn(
            local,
            exits,
            function.name,
            function_environment(local, function),
            region,
            [
                "shared.local.worker",
                function.app,
                function.handler,
                "--function-name",
                function.name,
                "--queue-url",
                worker.queue_url,
                "--queue-arn",
                worker.queue_arn,
                "--batch-size",
                str(worker.batch_size),
                "--timeout",
                str(function.timeout),
                "--memory",
                str(function.memory),
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
    """Run one long-lived process (an app's API, a queue's worker): its structured logs
    (stdout) go to ``logs/<name>.log``, its one-line events (stderr) to the console; the
    stack stops when it exits, and stops it when the stack stops."""
    process = start_logged(
        module_and_args,
        {**environment, **aws_environment(local, region)},
        local.log_dir / f"{name}.log",
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


def fire(local: LocalStack, target: ScheduledTarget, now: datetime) -> None:
    """What EventBridge does when the rule fires: start an execution of a state machine, or
    invoke a function asynchronously; with the target's fixed input, else the event."""
    event = target.input or json.dumps(scheduled_event(target.rule, local.region, now))
    names = {arn: name for name, arn in local.state_machines.items()}
    if target.target_arn in names:
        print(
            f"[schedule] {target.schedule.expression} fired -> {names[target.target_arn]}",
            file=sys.stderr,
            flush=True,
        )
        boto3.client("stepfunctions").start_execution(
            stateMachineArn=target.target_arn, input=event
        )
        return
    if local.functions is None:
        raise RuntimeError("the local Lambda service is not running")
    function = local.functions.resolve(target.target_arn)
    if function is None:
        raise LookupError(f"{target.target_arn} is not a function of the program")
    print(
        f"[schedule] {target.schedule.expression} fired -> {function.name}",
        file=sys.stderr,
        flush=True,
    )
    local.functions.invoke_async(function, event.encode())


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
        watcher = None
        if local.state_machines:
            watcher = ExecutionWatcher(boto3.client("stepfunctions"), local.state_machines)
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
                        fire(local, target, now)
                if watcher is not None:
                    for line in watcher.poll():
                        print(line, file=sys.stderr, flush=True)
                time.sleep(0.5)
            print("an app process exited; stopping", file=sys.stderr)
        except KeyboardInterrupt:
            print("stopping", flush=True)
        # A second Ctrl-C must not cut the clean-up short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # All told at once, so they wind down together; the exit stack then waits for each.
        for process in local.processes:
            if process.poll() is None:
                process.terminate()
        if local.functions is not None:
            local.functions.stop()


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


def invoke_now(app: str, handler_name: str, stack: str, state_dir: Path) -> int:
    """Invoke one function of the running local stack once, with a scheduled event, through
    its Lambda API (the stack's process for that function runs it, its JSON logs in
    ``logs/<function>.log``); prints the result; returns 1 if the function failed.

    Raises:
        SystemExit: the stack is not running, or the app has no such function.
    """
    description = running_description(state_dir)
    region = str(stack_values(stack)["aws:region"])
    functions = [
        f
        for f in declared_functions(run_program(stack, OfflineMocks(region))).values()
        if f.app == app and f.handler != API_HANDLER  # routes are called over HTTP
    ]
    chosen = [f for f in functions if f.handler == f"app.{handler_name}"]
    if not chosen:
        names_ = sorted(f.handler.removeprefix("app.") for f in functions)
        raise SystemExit(f"{app} has no function {handler_name!r}; it has {names_}")
    function = chosen[0]
    client = local_session(description).client(
        "lambda",
        endpoint_url=description["aws_endpoint"],
        # A cold start plus the whole run; never retried (a second run is not the ask).
        config=Config(read_timeout=function.timeout + 90, retries={"total_max_attempts": 1}),
    )
    log_path = Path(description["logs"]) / f"{function.name}.log"
    print(f"[invoke] {function.name} (logs: {log_path})", file=sys.stderr, flush=True)
    rule = f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/manual-invoke"
    response = client.invoke(
        FunctionName=function.name,
        Payload=json.dumps(scheduled_event(rule, region, datetime.now(UTC))).encode(),
    )
    outcome = "failed" if response.get("FunctionError") else "returned"
    result = response["Payload"].read().decode()[:2000]
    print(f"[invoke] {function.name} {outcome}: {result}", file=sys.stderr, flush=True)
    return 1 if response.get("FunctionError") else 0


def execute_now(machine: str, execution_input: str, state_dir: Path) -> int:
    """Start an execution of ``machine`` on the running local stack, print each transition
    and then its output; returns 0 if it succeeded, 1 otherwise.

    Raises:
        SystemExit: the stack is not running, the input is not JSON, or no such machine.
    """
    description = running_description(state_dir)
    try:
        json.loads(execution_input)
    except ValueError as err:
        raise SystemExit(f"--input is not JSON: {err}") from None
    sfn = local_session(description).client(
        "stepfunctions", endpoint_url=description["aws_endpoint"]
    )
    try:
        described = run_execution(
            sfn, machine, execution_input, lambda line: print(line, file=sys.stderr, flush=True)
        )
    except LookupError as err:
        raise SystemExit(str(err)) from None
    print(described.get("output") or json.dumps({k: described.get(k) for k in ("error", "cause")}))
    return 0 if described["status"] == "SUCCEEDED" else 1
