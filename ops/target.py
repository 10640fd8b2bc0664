"""Which stack an operator command works on: a deployed one (names from ``shared.names``,
AWS credentials from the usual boto3 chain) or the running local stack (``--local``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import aws
from shared.local.program import stack_values
from shared.local.stack import LOCAL_CREDENTIALS, STATE_DIR
from shared.names import PROJECT

LOCAL_STATE = STATE_DIR / "stack.json"


@dataclass(frozen=True)
class Target:
    stack: str
    region: str
    # The fakes' base URLs when the target is the local stack.
    fakes: dict[str, str]

    def setting(self, key: str) -> Any:
        """A project setting of the stack, as ``Pulumi.<stack>.yaml`` writes it."""
        return stack_values(self.stack)[f"{PROJECT}:{key}"]


def select(stack: str, local: bool, state_file: Path = LOCAL_STATE) -> Target:
    """Point boto3 at the stack's region, or at the local stack's moto server.

    Raises:
        SystemExit: ``--local`` without a running local stack.
    """
    region = str(stack_values(stack)["aws:region"])
    fakes: dict[str, str] = {}
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    if local:
        if not state_file.is_file():
            raise SystemExit(f"the local stack is not running ({state_file}): run make dev")
        description = json.loads(state_file.read_text())
        os.environ.update(
            {"AWS_ENDPOINT_URL": description["aws_endpoint"], "AWS_DEFAULT_REGION": region}
        )
        os.environ.update(LOCAL_CREDENTIALS)
        fakes = dict(description["fakes"])
    aws.reset_clients()
    return Target(stack, region, fakes)
