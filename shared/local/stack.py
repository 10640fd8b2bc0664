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
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from shared.local.demo import DEMO_COMPANY_ID, DEMO_PROJECT_ID, demo_company_config
from shared.local.fake_arns import OfflineMocks
from shared.local.moto_mocks import MotoMocks
from shared.local.program import ROOT, RecordingMocks, run_program, stack_values
from shared.names import COMPANY_DATA_TABLE, physical

STATE_DIR = ROOT / ".local"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


@dataclass
class LocalStack:
    stack: str
    host: str
    moto_port: int
    http_port: int
    apps: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def aws_endpoint(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    def description(self) -> dict[str, Any]:
        return {
            "apps": self.apps,
            "api_key": next(iter(self.api_keys.values()), None),
            "api_keys": self.api_keys,
            "aws_endpoint": self.aws_endpoint,
            "fakes": {},
            "demo": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID},
        }


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


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


def api_apps(mocks: RecordingMocks, stack: str) -> dict[str, tuple[dict[str, str], str]]:
    """Each app with routes: its API function's environment and its API key, by app name.

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
    return apps


def api_environment(app: str, stack: str, moto_port: int) -> dict[str, str]:
    """What the program gives an app's API function, pointed at a moto server on loopback.

    The program runs offline (nothing is created): the names are what ``make dev`` creates.
    """
    region = str(stack_values(stack)["aws:region"])
    mocks = run_program(stack, OfflineMocks(region))
    function_env, _ = api_apps(mocks, stack)[app]
    local = LocalStack(stack=stack, host="127.0.0.1", moto_port=moto_port, http_port=0)
    return {**function_env, **aws_environment(local, region)}


def seed_demo_data(stack: str) -> None:
    table = boto3.resource("dynamodb").Table(physical(COMPANY_DATA_TABLE, stack))
    table.put_item(Item=demo_company_config())


def start(local: LocalStack, exits: ExitStack) -> None:
    region = str(stack_values(local.stack)["aws:region"])
    server = ThreadedMotoServer(ip_address=local.host, port=local.moto_port, verbose=False)
    server.start()
    exits.callback(server.stop)
    os.environ.update(aws_environment(local, region))

    mocks = run_program(local.stack, MotoMocks(region))
    seed_demo_data(local.stack)

    port = local.http_port
    for app, (function_env, api_key) in api_apps(mocks, local.stack).items():
        env = {
            **os.environ,
            **function_env,
            **aws_environment(local, region),
            "LOCAL_API_KEY": api_key,
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.local.gateway",
                app,
                "--host",
                local.host,
                "--port",
                str(port),
            ],
            env=env,
            cwd=ROOT,
        )
        local.processes.append(process)
        exits.callback(stop_process, process)
        wait_for_port(local.host, port)
        local.apps[app] = f"http://{local.host}:{port}"
        local.api_keys[app] = api_key
        port += 1


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


def run(stack: str, host: str, moto_port: int, http_port: int, state_dir: Path = STATE_DIR) -> None:
    """Start everything, then wait for Ctrl-C or SIGTERM and stop everything."""
    # Explicitly, because a process started in the background by a script inherits SIGINT
    # as ignored, and Ctrl-C (or `kill -INT`) must still stop the stack.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto: one line per AWS call
    local = LocalStack(stack=stack, host=host, moto_port=moto_port, http_port=http_port)
    with ExitStack() as exits:
        started = time.monotonic()
        start(local, exits)
        write_description(local, state_dir / "stack.json")
        print(json.dumps(local.description(), indent=2))
        print(
            f"local stack '{stack}' ready in {time.monotonic() - started:.1f}s "
            f"({state_dir / 'stack.json'}); Ctrl-C stops it",
            flush=True,
        )
        try:
            while all(p.poll() is None for p in local.processes):
                time.sleep(0.5)
            print("an app process exited; stopping", file=sys.stderr)
        except KeyboardInterrupt:
            print("stopping", flush=True)
        # A second Ctrl-C must not cut the clean-up short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
