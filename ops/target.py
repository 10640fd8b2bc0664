"""Which stack an operator command works on: a deployed one (names from the system's
``names.py``, AWS credentials from the usual boto3 chain) or the running local stack
(``--local``, found through its ``.local/stack.json``).

Only the ``ops`` extra is needed: the stack's settings are read from its stack file, and the
local stack is reached over its AWS endpoint, never through the local runtime's code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from infra.registry import ROOT
from infra.settings import SettingsT, read_settings, read_system_settings
from shared import aws

LOCAL_STATE = ROOT / ".local" / "stack.json"
# The local AWS endpoint accepts any credentials; these keep a developer's real ones unused.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


@dataclass(frozen=True)
class Target:
    stack: str
    region: str
    # The fakes' base URLs when the target is the local stack.
    fakes: dict[str, str]

    def settings(self, system: str, model: type[SettingsT]) -> SettingsT:
        """A system's settings in this stack, defaults filled in."""
        return read_system_settings(self.stack, system, model)


def select(stack: str, local: bool, state_file: Path = LOCAL_STATE) -> Target:
    """Point boto3 at the stack's region, or at the local stack's AWS endpoint.

    Raises:
        SystemExit: ``--local`` without a running local stack.
    """
    region = read_settings(stack).region
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
