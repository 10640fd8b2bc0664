"""The local runtime's command line: ``python -m devstack up`` (what ``make dev`` runs)."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from devstack import STATE_DIR
from devstack.services.cloudwatch import alarms


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the stack locally until Ctrl-C")
    up.add_argument("--stack", default="dev")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--moto-port", type=int, default=5000)
    up.add_argument("--http-port", type=int, default=8000, help="the first app's port")
    up.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override a stack setting, e.g. serverless-fleet:<system>='{\"key\": 5}'",
    )
    up.add_argument(
        "--redeliver-after",
        type=int,
        default=None,
        metavar="SECONDS",
        help="a failed SQS message comes back after this long (default: the queue's timeout)",
    )
    up.add_argument(
        "--async-retry-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wait this long before each retry of a failed asynchronous invocation "
        "(default: Lambda's 60 and 120 s)",
    )
    up.add_argument(
        "--alarm-speedup",
        type=float,
        default=alarms.DEFAULT_SPEEDUP,
        metavar="FACTOR",
        help="alarm periods pass this many times faster (default %(default)g: five minutes "
        "are 5 s; alarms on missing data keep their real periods)",
    )
    up.add_argument(
        "--systems",
        type=lambda text: tuple(name.strip() for name in text.split(",") if name.strip()),
        default=None,
        metavar="NAMES",
        help="declare and run only these systems, comma-separated (default: every system)",
    )
    up.add_argument("--state-dir", type=Path, default=STATE_DIR, help="where stack.json goes")
    up.add_argument(
        "--fresh",
        action="store_true",
        help="run the program and create every resource even if a snapshot of them is kept "
        "(.local/snapshots/, made by the last start from the same sources and settings)",
    )
    env = commands.add_parser(
        "env",
        help="print an app's API environment as `export` lines, for `chalice local --stage local`",
    )
    env.add_argument("app")
    env.add_argument("--stack", default="dev")
    env.add_argument("--moto-port", type=int, default=5000)
    invoke = commands.add_parser(
        "invoke", help="run one function of the running stack now, with a scheduled event"
    )
    invoke.add_argument("app")
    invoke.add_argument("function", help="its handler's name in app.py, e.g. ingest")
    invoke.add_argument("--stack", default="dev")
    invoke.add_argument("--state-dir", type=Path, default=STATE_DIR)
    execute = commands.add_parser(
        "execute",
        help="start an execution of a state machine of the running stack and follow it",
    )
    execute.add_argument("machine", help="its name, e.g. <system>-pipeline-dev")
    execute.add_argument("--input", default="{}", help="the execution's input, JSON")
    execute.add_argument("--state-dir", type=Path, default=STATE_DIR)
    args = parser.parse_args()
    if args.command == "up":
        # First, so that the fork server's imports run on another core while this process
        # imports the stack (devstack/forked.py).
        from devstack.forked import start_fork_server
        from devstack.outside import OPERATOR_CREDENTIALS
        from devstack.services.apigateway.api_process import SHARED_IMPORTS

        start_fork_server(SHARED_IMPORTS, without=OPERATOR_CREDENTIALS)
    from devstack import stack  # the local runtime, a second of imports

    if args.command == "up":
        overrides = {}
        for item in args.set:
            key, _, value = item.partition("=")
            overrides[key] = json.loads(value)
        stack.run(
            args.stack,
            args.host,
            args.moto_port,
            args.http_port,
            args.state_dir,
            overrides,
            args.redeliver_after,
            args.async_retry_delay,
            args.alarm_speedup,
            args.systems,
            args.fresh,
        )
    elif args.command == "invoke":
        raise SystemExit(stack.invoke_now(args.app, args.function, args.stack, args.state_dir))
    elif args.command == "execute":
        raise SystemExit(stack.execute_now(args.machine, args.input, args.state_dir))
    elif args.command == "env":
        for name, value in stack.api_environment(args.app, args.stack, args.moto_port).items():
            print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
