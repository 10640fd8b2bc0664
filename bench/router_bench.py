"""Router cost against a bare Chalice app, measured in one run.

1. Cold import: a fresh interpreter imports the comms app (what a Lambda cold start pays
   before the first request) vs. an app with one bare route, and vs. that bare app importing
   boto3 too (what any function that calls AWS pays). Median of N runs of each, taken in
   turn (bare, boto3, router, bare, ...) so that a machine busy for a while slows all three
   alike. The router's target is 1.3x of bare + boto3 (issue 11.5).
2. Warm requests/s: the warm app serves POST /initiate-conversation through Chalice's test
   client (the Lambda event path) against moto in-process, vs. the bare route. Moto's
   emulation of SQS and DynamoDB is far slower than the real services' client side, so the
   time spent inside AWS SDK calls is measured (botocore's before-call/after-call events) and
   the router's own work per request is reported without it.

Run with ``make bench``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COLD_RUNS = 15
WARM_REQUESTS = 400

os.environ.update(
    AWS_DEFAULT_REGION="eu-north-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench"
)
os.environ.pop("AWS_ENDPOINT_URL", None)

BARE_APP = """
{extra_import}
from chalice import Chalice
app = Chalice(app_name="bare")

@app.route("/ping", methods=["POST"])
def ping():
    return {{"status": "success"}}
"""

IMPORT_TIMER = """
import sys, time
sys.path.insert(0, {folder!r})
started = time.perf_counter()
import app
print(time.perf_counter() - started)
"""


def import_seconds(folder: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_TIMER.format(folder=str(folder))],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return float(out.stdout.strip())


def cold_import_seconds(*folders: Path) -> list[float]:
    """The median import time of each folder's app, their runs interleaved."""
    samples: dict[Path, list[float]] = {folder: [] for folder in folders}
    for _ in range(COLD_RUNS):
        for folder in folders:
            samples[folder].append(import_seconds(folder))
    return [statistics.median(samples[folder]) for folder in folders]


class SdkTimer:
    """Adds up the wall time spent inside AWS SDK calls made through the given clients."""

    def __init__(self, *clients: Any) -> None:
        self.seconds = 0.0
        self._started = 0.0
        for client in clients:
            client.meta.events.register("before-call.*.*", self._before)
            client.meta.events.register("after-call.*.*", self._after)

    def _before(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started


def requests_per_second(client: Any, path: str, body: Any) -> float:
    headers = {"Content-Type": "application/json"}
    started = time.perf_counter()
    for _ in range(WARM_REQUESTS):
        response = client.http.post(path, headers=headers, body=json.dumps(body()))
        assert response.status_code == 200, response.body
    return WARM_REQUESTS / (time.perf_counter() - started)


def conversation_request() -> dict[str, Any]:
    return {
        "company_data": {"company_id": "ci-aaa-001", "project_id": "pi-aaa-001"},
        "recipient_data": {"recipient_tel": "+447700900123", "comms_consent": True},
        "project_data": {"jobID": "9999"},
        "request_data": {
            "request_id": str(uuid.uuid4()),
            "channel_method": "whatsapp",
            "initial_request_timestamp": "2026-11-23T08:00:00Z",
        },
    }


def main() -> None:
    import tempfile

    from chalice.test import Client
    from moto import mock_aws

    from infra.registry import add_app_paths, app_dir

    add_app_paths()  # chalicelib/ of every app, as the tests and the local stack have it
    from devstack.mocks import MotoMocks
    from devstack.profiles.comms import demo_company_config
    from devstack.program import run_program
    from devstack.services.awslambda.apps import load_app

    with tempfile.TemporaryDirectory() as bare_dir, tempfile.TemporaryDirectory() as boto_dir:
        (Path(bare_dir) / "app.py").write_text(BARE_APP.format(extra_import=""))
        (Path(boto_dir) / "app.py").write_text(BARE_APP.format(extra_import="import boto3"))
        bare_cold, boto_cold, router_cold = cold_import_seconds(
            Path(bare_dir), Path(boto_dir), app_dir("comms")
        )

        with mock_aws():
            stack = run_program("dev", MotoMocks("eu-north-1"))
            os.environ.update(stack.function_environment("comms-api-handler-dev"))
            os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # one log line per request is noise
            import boto3

            boto3.resource("dynamodb").Table("company-data-dev").put_item(
                Item=demo_company_config()
            )
            sys.path.insert(0, bare_dir)
            import app as bare

            with Client(bare.app) as client:
                requests_per_second(client, "/ping", dict)  # warm up
                bare_rps = requests_per_second(client, "/ping", dict)
            comms = load_app("comms")
            from chalicelib.comms import wiring
            from shared import aws

            with Client(comms.app, stage_name="package", project_dir=str(app_dir("comms"))) as c:
                requests_per_second(c, "/initiate-conversation", conversation_request)
                wiring.company_configs()
                timer = SdkTimer(aws.sqs(), aws.dynamodb().meta.client)
                router_rps = requests_per_second(c, "/initiate-conversation", conversation_request)
            total_seconds = WARM_REQUESTS / router_rps
            own_ms = (total_seconds - timer.seconds) / WARM_REQUESTS * 1000

    bare_ms = 1000 / bare_rps
    print(f"cold import, median of {COLD_RUNS} fresh interpreters")
    print(f"  bare chalice app          {bare_cold * 1000:8.1f} ms")
    print(
        f"  bare app + import boto3   {boto_cold * 1000:8.1f} ms   ({boto_cold / bare_cold:.1f}x)"
    )
    ratios = (
        f"{router_cold / bare_cold:.1f}x of bare, {router_cold / boto_cold:.2f}x of bare + boto3;"
        " target 1.3x"
    )
    print(f"  comms router              {router_cold * 1000:8.1f} ms   ({ratios})")
    print(f"warm, {WARM_REQUESTS} requests (chalice test client, moto in-process)")
    print(f"  bare route                {bare_rps:8.0f} req/s  {bare_ms:6.2f} ms/req")
    print(
        f"  comms router, end to end  {router_rps:8.0f} req/s  "
        f"{1000 / router_rps:6.2f} ms/req  ({timer.seconds / total_seconds:.0%} inside moto)"
    )
    print(
        f"  comms router, own work    {1000 / own_ms:8.0f} req/s  {own_ms:6.2f} ms/req  "
        f"({own_ms / bare_ms:.1f}x of bare)"
    )


if __name__ == "__main__":
    main()
