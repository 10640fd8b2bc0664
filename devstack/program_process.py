"""The local stack's program run, in a process of its own: ``run_aside`` starts
``python -m devstack.program_process``, which runs the program under ``MotoMocks`` against
the local AWS endpoint (``AWS_ENDPOINT_URL``, inherited) and hands back what it declared.

Why a process: the run is Pulumi's engine plus boto3 building each call, and moto answering
those calls is the stack's own process (``aws_server.py``). In one interpreter the two take
turns on its lock; in two processes they run side by side on two cores, and the stack's
process never imports pulumi_aws (a second of its own).

The request (stack, systems, overrides) goes in as JSON on stdin; the record (every declared
resource with its inputs and outputs, the ``protect`` flags, the stack's exports) comes back
pickled in a file: only this module writes and reads it, between two processes of one
checkout, so pickle's trust is the program's own.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devstack.mocks import MotoMocks, UnroutedCallError
from devstack.program import RecordingMocks, run_program
from devstack.pulumi_mocks import MockResourceArgs
from infra.registry import ROOT, add_app_paths

# The child's exit statuses for the errors the stack reports plainly.
_UNROUTED, _INVALID = 3, 4


class ProgramRecord(RecordingMocks):
    """What a program run declared, read back: resources, protect flags and exports, for
    everything that reads a run's mocks. It runs no program itself."""

    def create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        raise TypeError("a ProgramRecord holds a finished run; it creates nothing")


def run_aside(
    stack: str,
    region: str,
    record_file: Path,
    overrides: dict[str, Any] | None = None,
    systems: Sequence[str] | None = None,
) -> ProgramRecord:
    """Run the program for ``stack`` in a child process, its resources created on the local
    AWS endpoint this process's environment names; the record is kept in ``record_file``.

    Raises:
        UnroutedCallError: moto cannot route a call a resource needs (said plainly).
        ValueError: a setting or a system name is invalid.
        RuntimeError: the run failed otherwise, with the child's output.
    """
    record_file.parent.mkdir(parents=True, exist_ok=True)
    request = {
        "stack": stack,
        "region": region,
        "overrides": overrides or {},
        "systems": list(systems) if systems is not None else None,
        "record": str(record_file),
    }
    child = subprocess.run(
        [sys.executable, "-m", "devstack.program_process"],
        input=json.dumps(request).encode(),
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    said = child.stderr.decode(errors="replace").strip()
    if child.returncode == _UNROUTED:
        raise UnroutedCallError(said)
    if child.returncode == _INVALID:
        raise ValueError(said)
    if child.returncode != 0:
        raise RuntimeError(f"the program's run failed ({child.returncode}):\n{said}")
    if said:  # notes (an unknown resource type's made-up outputs), passed on to the console
        print(said, file=sys.stderr, flush=True)
    resources, protect_flags, stack_outputs = pickle.loads(record_file.read_bytes())
    record = ProgramRecord(region)
    record.resources = resources
    record.protect_flags = protect_flags
    record.stack_outputs = stack_outputs
    return record


def main() -> None:
    """The child: one run, its record written, its errors as exit statuses."""
    request = json.loads(sys.stdin.read())
    add_app_paths()
    try:
        mocks = run_program(
            request["stack"], MotoMocks(request["region"]), request["overrides"], request["systems"]
        )
    except UnroutedCallError as err:
        print(err, file=sys.stderr)
        raise SystemExit(_UNROUTED) from None
    except ValueError as err:
        print(err, file=sys.stderr)
        raise SystemExit(_INVALID) from None
    record = (mocks.resources, mocks.protect_flags, mocks.stack_outputs)
    Path(request["record"]).write_bytes(pickle.dumps(record))


if __name__ == "__main__":
    main()
