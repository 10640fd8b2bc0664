"""``make dev``: the dev stack on this machine.

1. a moto server on loopback, with state machine execution on and the local Lambda service
   in front (every declared function invocable through it, ``services/awslambda``);
2. every resource of the stack, created in it by running the Pulumi program under
   ``MotoMocks`` (no second list of resources exists anywhere), or restored from the
   snapshot the last start from the same sources and settings kept (``snapshot.py``);
3. demo data (one active company/project);
4. each app with routes served in its own process, with the environment the program gives its
   API function and the API key the program declares; each SQS event source polled by a
   worker process; each schedule fired on time (a function invoked, an execution started; an
   event it could not deliver kept in the target's dead-letter queue);
5. the program's alarms evaluated every second on what the stack observes, notifications to
   e-mail subscribers in the inbox (``services/cloudwatch``);
6. ``.local/stack.json`` describing all of it, printed for a person too; then one console
   line per request, message, invocation, state transition and alarm state change.

The stack's configuration and its ``stack.json`` are ``local_stack.py``'s; this module runs
the stack.

Ctrl-C (or SIGTERM) stops the app processes and the moto server.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack import STATE_DIR
from devstack.aws_server import LocalAwsServer
from devstack.console import start_console
from devstack.declaration import Declaration
from devstack.declared import (
    API_HANDLER,
    api_apps,
    app_place,
    declared_functions,
    gateway_settings,
    scheduled_targets,
    sqs_workers,
    state_machine_arns,
)
from devstack.forked import start_fork_server, start_forked, stop_fork_server
from devstack.local_stack import (
    LocalStack,
    aws_environment,
    function_environment,
    local_session,
    running_description,
    write_description,
)
from devstack.outside import OPERATOR_CREDENTIALS, real_bedrock, real_services
from devstack.processes import ChildProcess, port_is_free, start_logged, wait_for_port
from devstack.profiles import (
    FakeContext,
    ReadyContext,
    SeedContext,
    fakes,
    models,
    profiles,
)
from devstack.services.apigateway import api_process
from devstack.services.awslambda.destinations import arn_name, send
from devstack.services.awslambda.service import ASYNC_RETRY_DELAYS, FunctionHosts
from devstack.services.base import UnroutedCallError
from devstack.services.cloudwatch.alarm_watch import AlarmWatch
from devstack.services.cloudwatch.alarms import DEFAULT_SPEEDUP
from devstack.services.cloudwatch.inbox import Inbox
from devstack.services.dynamodb.streams import StreamPollers, stream_sources
from devstack.services.events.schedules import ScheduledTarget, scheduled_event
from devstack.services.outputs import ACCOUNT_ID
from devstack.services.stepfunctions.executions import ExecutionWatcher, run_execution
from devstack.snapshot import (
    SNAPSHOT_DIR,
    KeptStack,
    SnapshotError,
    open_snapshot,
    save,
    snapshot_key,
)
from infra.registry import chosen_systems
from infra.settings import stack_values

# Put back from a snapshot once the stack is up, its calls waiting until then: importing
# moto's Step Functions interpreter loads EC2's region and instance tables (a second and a
# half), and nothing of the start calls Step Functions.
RESTORED_LATER = frozenset({"stepfunctions"})


def offline_declaration(stack: str, region: str) -> Declaration:
    """What the program declares for ``stack``, nothing created."""
    from devstack.mocks import OfflineMocks  # Pulumi loads only for a run
    from devstack.program import run_program

    return run_program(stack, OfflineMocks(region))


def api_environment(app: str, stack: str, moto_port: int) -> dict[str, str]:
    """What the program gives an app's API function, pointed at a moto server on loopback.

    The program runs offline (nothing is created): the names are what ``make dev`` creates.
    """
    region = str(stack_values(stack)["aws:region"])
    mocks = offline_declaration(stack, region)
    function_env, _ = api_apps(mocks)[app]
    local = LocalStack(stack=stack, host="127.0.0.1", moto_port=moto_port, http_port=0)
    return {**function_env, **aws_environment(local, region)}


def seed_demo_data(local: LocalStack) -> None:
    """Every system's demo data and secrets (its profile's ``seed``)."""
    for profile in local.profiles:
        if profile.seed is not None:
            profile.seed(SeedContext(local.stack, local.credentials))


class _Phases:
    """Records how long each phase of the start took into ``local.startup``."""

    def __init__(self, local: LocalStack) -> None:
        self.local = local
        self.last = time.monotonic()

    def done(self, phase: str) -> None:
        now = time.monotonic()
        self.local.startup[phase] = round(now - self.last, 3)
        self.last = now


def start(local: LocalStack, exits: ExitStack) -> Callable[[], None]:
    """Start the stack up to ready (stack.json may be written); returns what starts once it is:
    the queue workers, whose messages wait in their queues until they poll, as they wait for
    Lambda's pollers; the alarm watch (a fresh stack starts quiet); and the services a
    snapshot puts back later (``RESTORED_LATER``)."""
    phases = _Phases(local)
    region = str(stack_values(local.stack)["aws:region"])
    local.region = region
    delays: tuple[float, ...] = ASYNC_RETRY_DELAYS
    if local.async_retry_delay is not None:
        delays = (local.async_retry_delay,) * len(ASYNC_RETRY_DELAYS)
    functions = FunctionHosts(local.host, local.log_dir, retry_delays=delays)
    exits.callback(functions.stop)
    server = LocalAwsServer(
        local.host, local.moto_port, functions, local.bedrock, models(local.profiles)
    )
    server.start()
    exits.callback(server.stop)
    for name in OPERATOR_CREDENTIALS:  # every local process inherits this environment
        os.environ.pop(name, None)
    os.environ.update(aws_environment(local, region))
    # Running already when started by ``python -m devstack up``; its imports run on another
    # core while this process restores or runs the program.
    start_fork_server(api_process.SHARED_IMPORTS, without=OPERATOR_CREDENTIALS)
    exits.callback(stop_fork_server)  # after the supervisor has stopped what it forked
    phases.done("aws endpoint")

    key = snapshot_key(local.stack, local.overrides, local.systems)
    kept = None if local.fresh else open_snapshot(SNAPSHOT_DIR, key)
    if kept is None:
        from devstack.mocks import MotoMocks  # Pulumi loads only for a run
        from devstack.program import run_program

        mocks: Declaration = run_program(
            local.stack, MotoMocks(region), local.overrides, local.systems
        )
        save(SNAPSHOT_DIR, key, mocks)
        phases.done("program run, resources created")
    else:
        mocks = kept.declaration
        phases.done("declaration read from a snapshot")
    fakes_env = start_fakes(
        local, exits, FakeContext(mocks, datetime.now(UTC), local.log_dir.parent)
    )
    local.function_extras = {**aws_environment(local, region), **fakes_env}
    # Every API process starts now, forked from the fork server: each imports its app while
    # this process goes on; they are waited for below.
    exits.callback(local.supervisor.stop)  # also when a later step of the start fails
    listening = start_apis(local, mocks, fakes_env, region)
    phases.done("fakes started, API processes started")
    if kept is not None:
        release = server.hold(RESTORED_LATER)
        kept.restore_moto(but=RESTORED_LATER)
        phases.done("moto's state restored from the snapshot")
    functions.declare(declared_functions(mocks).values(), partial(function_environment, local))
    local.functions = functions
    pollers = StreamPollers(boto3.client("dynamodbstreams"), functions, stream_sources(mocks))
    pollers.start()
    exits.callback(pollers.stop)
    local.state_machines = state_machine_arns(mocks)
    local.schedules = scheduled_targets(mocks, datetime.now(UTC))
    seed_demo_data(local)
    phases.done("demo data")

    for port, process in listening:
        wait_for_port(local.host, port, process=process)
    phases.done("API processes listening")
    for profile in local.profiles:
        if profile.ready is not None:
            profile.ready(ReadyContext(dict(local.apps), dict(local.fake_servers)))
    # The local console: an admin page for this stack (devstack/console/).
    described = local.description()
    local.console = start_console(
        mocks,
        described,
        local_session(described),
        local.schedules,
        lambda target: fire(local, target, datetime.now(UTC)),
        exits,
    )
    phases.done("console")

    def once_ready() -> None:
        start_queue_workers(local, mocks, region)
        watch = AlarmWatch(
            boto3.client("cloudwatch"),
            boto3.client("logs"),
            boto3.client("sqs"),
            Inbox(local.inbox_dir, boto3.client("sns")),
            local.log_dir,
            region,
            local.alarm_speedup,
        )
        watch.start()
        exits.callback(watch.stop)
        if kept is not None:
            later = threading.Thread(target=restore_later, args=(kept, release), daemon=True)
            later.start()

    return once_ready


def start_queue_workers(local: LocalStack, mocks: Declaration, region: str) -> None:
    """One worker process per SQS event source the program declares."""
    for worker in sqs_workers(mocks):
        function = worker.function
        redelivery = (
            ["--visibility-timeout", str(local.redeliver_after)]
            if local.redeliver_after is not None
            else []
        )
        spawn(
            local,
            function.name,
            function_environment(local, function),
            region,
            [
                "devstack.services.sqs.worker",
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


def start_apis(
    local: LocalStack, mocks: Declaration, fakes_env: dict[str, str], region: str
) -> list[tuple[int, ChildProcess]]:
    """Every app's API process, started (not waited for): its port and process.

    Raises:
        SystemExit: an app's port is taken (the stack would answer with another's server).
    """
    api_functions = {
        f.app: f.name for f in declared_functions(mocks).values() if f.handler == API_HANDLER
    }
    # An app's port is its place in the registry, whichever systems run.
    listening = []
    for app, (function_env, api_key) in api_apps(mocks).items():
        port = local.http_port + app_place(app)
        if not port_is_free(local.host, port):  # else the stack would answer with another's
            raise SystemExit(
                f"{app}'s API port {local.host}:{port}: Address already in use "
                "(its port is --http-port plus its place in the registry)"
            )
        environment = {
            **function_env,
            **fakes_env,
            "LOCAL_API_KEY": api_key,
            **gateway_settings(mocks, app),
        }
        name = api_functions[app]
        start_api = partial(
            start_forked,
            name,
            api_process.run,
            (app, local.host, port),
            {**environment, **aws_environment(local, region)},
            local.log_dir / f"{name}.log",
        )
        listening.append((port, local.supervisor.add(name, start_api)))
        local.apps[app] = f"http://{local.host}:{port}"
        local.api_keys[app] = api_key
    return listening


def restore_later(kept: KeptStack, release: Callable[[], None]) -> None:
    """Put back the services left for after the start, then let their calls through."""
    try:
        kept.restore_moto()
    except SnapshotError as err:
        print(f"{err}: Step Functions holds nothing this run", file=sys.stderr)
    finally:
        release()


def spawn(
    local: LocalStack,
    name: str,
    environment: dict[str, str],
    region: str,
    module_and_args: list[str],
) -> None:
    """Run one long-lived process (a queue's worker), kept running by the stack's
    supervisor: its structured logs (stdout) go to ``logs/<name>.log``, its one-line events
    (stderr) to the console."""
    start = partial(
        start_logged,
        module_and_args,
        {**environment, **aws_environment(local, region)},
        local.log_dir / f"{name}.log",
    )
    local.supervisor.add(name, start)


def start_fakes(local: LocalStack, exits: ExitStack, context: FakeContext) -> dict[str, str]:
    """The fakes every system's profile asks for, but those of services called for real,
    and the environment that points the clients at them (for a service called for real
    nothing is set: its SDK's default address is the real one)."""
    environment: dict[str, str] = {}
    real = local.credentials.services()
    for name, fake in fakes(local.profiles).items():
        if name in real:
            continue
        server = fake.build(context)
        server.start(local.host)
        exits.callback(server.stop)
        local.fakes[name] = server.url
        local.fake_servers[name] = server
        environment[fake.variable] = f"{server.url}{fake.suffix}"
        for variable, path in fake.more_variables:
            environment[variable] = f"{server.url}{path}"
    return environment


class UndeliveredError(Exception):
    """EventBridge could not hand the event to its target (the code is the target
    service's error code, as the dead-letter queue's ERROR_CODE gives it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _deliver(local: LocalStack, target: ScheduledTarget, event: str) -> str:
    """Start an execution or queue an asynchronous invocation; returns the target's name.

    Raises:
        UndeliveredError: the target refused it (it does not exist, most likely).
    """
    if target.target_arn.startswith("arn:aws:states:"):
        try:
            boto3.client("stepfunctions").start_execution(
                stateMachineArn=target.target_arn, input=event
            )
        except ClientError as err:
            error = err.response["Error"]
            raise UndeliveredError(error["Code"], error["Message"]) from err
        return arn_name(target.target_arn)
    if local.functions is None:
        raise RuntimeError("the local Lambda service is not running")
    function = local.functions.resolve(target.target_arn)
    if function is None:
        raise UndeliveredError(
            "ResourceNotFoundException", f"Function not found: {target.target_arn}"
        )
    local.functions.invoke_async(function, event.encode())
    return function.name


def fire(local: LocalStack, target: ScheduledTarget, now: datetime) -> None:
    """What EventBridge does when the rule fires: start an execution of a state machine, or
    invoke a function asynchronously; with the target's fixed input, else the event.

    An event the target refuses is put on the target's dead-letter queue with EventBridge's
    attributes (such errors are not retried in AWS either: the retry policy is for throttling
    and timeouts, which do not happen here), or dropped without one; the console says which.
    """
    event = target.event(local.region, now)
    fired = f"[schedule] {target.schedule.expression} fired"
    try:
        name = _deliver(local, target, event)
    except UndeliveredError as err:
        if target.dead_letter_arn is None:
            _console(f"{fired}, not delivered ({err}); no dead-letter queue: event dropped")
            return
        attributes = {
            "ERROR_CODE": err.code,
            "ERROR_MESSAGE": err.message,
            "RULE_ARN": target.rule,
            "TARGET_ARN": target.target_arn,
            "RETRY_ATTEMPTS": "0",
        }
        send(target.dead_letter_arn, event, attributes)
        _console(f"{fired}, not delivered ({err}); event in {arn_name(target.dead_letter_arn)}")
        return
    _console(f"{fired} -> {name}")


def _console(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


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
    async_retry_delay: float | None = None,
    alarm_speedup: float = DEFAULT_SPEEDUP,
    systems: tuple[str, ...] | None = None,
    fresh: bool = False,
) -> None:
    """Start everything (``systems`` only, when given), then wait for Ctrl-C or SIGTERM and
    stop everything."""
    # Explicitly, because a process started in the background by a script inherits SIGINT
    # as ignored, and Ctrl-C (or `kill -INT`) must still stop the stack.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto: one line per AWS call
    try:
        chosen = profiles(chosen_systems(systems))
        credentials = real_services(
            os.environ, {fake.name: fake.real_variables for fake in fakes(chosen).values()}
        )
        bedrock = real_bedrock(os.environ, str(stack_values(stack)["aws:region"]))
    except ValueError as err:
        raise SystemExit(str(err)) from None
    local = LocalStack(
        stack=stack,
        host=host,
        moto_port=moto_port,
        http_port=http_port,
        overrides=overrides or {},
        redeliver_after=redeliver_after,
        async_retry_delay=async_retry_delay,
        alarm_speedup=alarm_speedup,
        log_dir=state_dir / "logs",
        inbox_dir=state_dir / "inbox",
        credentials=credentials,
        bedrock=bedrock,
        systems=systems,
        profiles=chosen,
        fresh=fresh,
    )
    with ExitStack() as exits:
        started = time.monotonic()
        # Ctrl-C at any moment, even while starting or just after stack.json appears (a
        # script that waits for it may stop the stack at once), is a clean stop.
        try:
            try:
                once_ready = start(local, exits)
            except UnroutedCallError as err:  # the versions' fault: said plainly, no trace
                raise SystemExit(f"the local stack cannot start: {err}") from None
            write_description(local, state_dir / "stack.json")
            # Gone when the stack stops: its presence means "running".
            exits.callback((state_dir / "stack.json").unlink, missing_ok=True)
            once_ready()
            print(json.dumps(local.description(), indent=2))
            watcher = None
            if local.state_machines:
                watcher = ExecutionWatcher(boto3.client("stepfunctions"), local.state_machines)
            print(
                f"local stack '{stack}' ready in {time.monotonic() - started:.1f}s "
                f"({state_dir / 'stack.json'}); Ctrl-C stops it",
                flush=True,
            )
            print(f"console: {local.console}", flush=True)
            while True:
                local.supervisor.check()
                now = datetime.now(UTC)
                for target in local.schedules:
                    if target.due(now):
                        fire(local, target, now)
                if watcher is not None:
                    for line in watcher.poll():
                        print(line, file=sys.stderr, flush=True)
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("stopping", flush=True)
        # A second Ctrl-C must not cut the clean-up short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # All told at once, so they wind down together.
        local.supervisor.stop()
        if local.functions is not None:
            local.functions.stop()


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
        for f in declared_functions(offline_declaration(stack, region)).values()
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
