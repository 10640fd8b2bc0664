"""The Pulumi mocks the local runtime runs the program under: ``MotoMocks`` creates each
declared resource in moto (in-process or the server), ``OfflineMocks`` creates nothing and
gives every resource made-up outputs (infra tests, ``env``). Both look each type up in the
one registry (``services/registry.py``), so a type is known to both or to neither.

What a type becomes is its service's business (``services/<service>/resources.py``): tables,
queues, topics, secrets, buckets with their configurations, state machines, log groups,
metric filters, alarms, rules, schedules, roles, user pools, Glue databases, workgroups and
budgets are created in moto as declared; functions and the API's pieces get realistic
made-up outputs, and the local runtime reads their inputs (a function's handler and
environment).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import boto3
import botocore
import moto
from botocore.exceptions import ClientError

from devstack.program import RecordingMocks
from devstack.pulumi_mocks import MockResourceArgs
from devstack.services.base import Clients, UnroutedCallError
from devstack.services.registry import REGISTRY, offline_outputs


def _unrouted(err: ClientError) -> bool:
    """moto's answers for a call it has no route or implementation for."""
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    error = err.response.get("Error", {})
    text = f"{error.get('Code', '')} {error.get('Message', '')}"
    return status in {404, 501} and (
        "not yet implemented" in text.lower() or error.get("Code") in {"404", "NotImplemented"}
    )


class MotoMocks(RecordingMocks):
    """Creates each declared resource the local stack uses through boto3 (pointed at moto)."""

    def __init__(self, region: str, session: boto3.session.Session | None = None) -> None:
        super().__init__(region)
        self._clients = Clients(session or boto3.session.Session(region_name=region))
        self._noted: set[str] = set()
        self._noting = threading.Lock()  # Pulumi registers resources on several threads

    def create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """The resource created in moto.

        Raises:
            UnroutedCallError: moto cannot route a call the resource needs.
        """
        try:
            return self._create(args)
        except ClientError as err:
            if not _unrouted(err):
                raise
            service = args.typ.split(":")[1].split("/")[0]
            raise UnroutedCallError(
                f"moto {moto.__version__} cannot route {service} {err.operation_name}, needed "
                f"to create {args.typ} {args.name!r} (botocore {botocore.__version__}): "
                f"{err}. Pin a botocore moto serves, or a moto that serves it "
                "(README: Locks)."
            ) from err

    def _create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        local = REGISTRY.get(args.typ)
        if local is not None and local.create is not None:
            return local.create(self._clients, args.name, inputs)
        if local is None and args.custom:
            self._note_unknown(args.typ, args.name)
        return offline_outputs(args.typ, bool(args.custom), self.region, args.name, inputs)

    def _note_unknown(self, type_token: str, name: str) -> None:
        """Say once per type that the stack runs on without it: whatever reads its outputs
        gets made-up ones, and nothing local plays it."""
        with self._noting:
            if type_token in self._noted:
                return
            self._noted.add(type_token)
        print(f"no local emulation for {type_token} {name}: made-up outputs", file=sys.stderr)


class OfflineMocks(RecordingMocks):
    """Mocks that create nothing: every resource gets made-up outputs (infra tests, ``env``)."""

    def create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        return offline_outputs(args.typ, bool(args.custom), self.region, args.name, inputs)
