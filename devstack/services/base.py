"""What each service's ``resources.py`` gives the registry for one Pulumi resource type
(:class:`LocalType`), the clients its creators get, and the input conversions they share.

Pulumi hands a mock its inputs in camelCase, with integers as floats; AWS's APIs want
PascalCase parameters, integers and tag lists: the helpers here convert, once for all
services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from devstack.services.outputs import Created, made_up

OfflineOutputs = Callable[[str, str, dict[str, Any]], Created]
"""(region, logical name, inputs) -> (physical id, outputs): made up, nothing created."""


class Clients:
    """One boto3 client per service, made on first use and shared by the threads Pulumi
    registers resources on: making a client loads its service model (tens of milliseconds),
    and a session may make clients on one thread at a time, while a client serves any
    number."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.session = session
        self.region = str(session.region_name)
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        """An untyped client: the inputs are Pulumi's, checked by the service, not by mypy."""
        with self._lock:
            if service not in self._made:
                self._made[service] = self.session.client(service)  # type: ignore[call-overload]
            return self._made[service]


class UnroutedCallError(RuntimeError):
    """moto could not route an AWS call the program's resource needs: its version does not
    know the operation, or the installed botocore speaks a wire protocol it does not (botocore
    1.44.18 moved Athena to REST paths moto 5.2.6 does not serve). Raised at start, naming
    the service, the operation, the resource and both versions, instead of a trace from deep
    inside the program run."""


Creator = Callable[[Clients, str, dict[str, Any]], Created]
"""(clients pointed at moto, logical name, inputs) -> (physical id, outputs), once created."""


@dataclass(frozen=True)
class LocalType:
    """How one Pulumi resource type becomes local.

    ``offline`` makes its outputs up in AWS's formats: what infra tests see, and what the
    local stack gives a type moto need not hold. ``create`` makes it in moto, as declared,
    and returns moto's outputs; None for a type only AWS itself would act on (a function's
    permission, an API's deployment), whose inputs the local runtime reads instead.
    """

    offline: OfflineOutputs = made_up
    create: Creator | None = None


def as_int(value: Any) -> int:
    """Pulumi hands integers to mocks as floats."""
    return int(value)


def tag_list(inputs: dict[str, Any]) -> list[Any]:
    """The ``tags`` input as the ``[{"Key": ..., "Value": ...}]`` list most APIs take."""
    return [{"Key": k, "Value": v} for k, v in (inputs.get("tags") or {}).items()]


def camel_to_pascal(value: Any) -> Any:
    """Pulumi's camelCase inputs as an API's PascalCase parameters, recursively."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: camel_to_pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_to_pascal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
