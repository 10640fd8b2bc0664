"""Invoke one function once, with an EventBridge scheduled event, as the schedule would.

``python -m shared.local.invoke comms app.ingest --function-name ... --rule ...``, run with
the function's environment by the local stack's scheduler and by ``make invoke``.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from chalice.local import LambdaContext

from shared.local.apps import load_app
from shared.local.fake_arns import ACCOUNT_ID


def scheduled_event(rule_arn: str, region: str, now: datetime) -> dict[str, Any]:
    """What EventBridge sends a function when a schedule fires."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app")
    parser.add_argument("handler", help="the package's handler, e.g. app.ingest")
    parser.add_argument("--function-name", required=True)
    parser.add_argument("--rule-arn", default="arn:aws:events:local:000000000000:rule/manual")
    parser.add_argument("--region", required=True)
    parser.add_argument("--timeout", type=int, default=60)
    args = parser.parse_args()
    handler = getattr(load_app(args.app), args.handler.removeprefix("app."))
    context = LambdaContext(args.function_name, 128, max_runtime_ms=args.timeout * 1000)
    result = handler(scheduled_event(args.rule_arn, args.region, datetime.now(UTC)), context)
    print(
        f"[{args.function_name}] invoked: {json.dumps(result, default=str)[:500]}",
        file=sys.stderr,
        flush=True,
    )


if __name__ == "__main__":
    main()
