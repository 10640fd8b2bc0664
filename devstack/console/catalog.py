"""What the console shows, derived from the resources the Pulumi program declared (the
mocks' record): each system's API, functions, queues, tables, schedules, state machines and
alarms. Nothing here is listed by hand, so a resource the program adds appears on its own.

A resource belongs to the system its ``system`` tag names; a Scheduler schedule (which
takes no tags) to its target's system.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from devstack.declaration import Declaration, DeclaredResource
from devstack.declared import (
    API_HANDLER,
    STATE_MACHINE,
    DeclaredFunction,
    declared_functions,
    function_name,
)
from devstack.services.events.schedules import ScheduledTarget

QUEUE = "aws:sqs/queue:Queue"
TABLE = "aws:dynamodb/table:Table"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
REST_API = "aws:apigateway/restApi:RestApi"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_WITH_BODY = ("post", "put", "patch")
COGNITO = "cognito_user_pools"
AUTH_TYPE = "x-amazon-apigateway-authtype"
API_KEY_HEADER = "x-api-key"


@dataclass(frozen=True)
class Queue:
    name: str
    url: str
    arn: str
    system: str
    # The queue this one is the dead-letter queue of (by name), or None.
    source: str | None = None
    dead_letter: str | None = None  # this queue's DLQ (by name)
    max_receive_count: int | None = None


@dataclass(frozen=True)
class Table:
    name: str
    system: str
    hash_key: str
    range_key: str | None
    indexes: list[str]
    # Each index's (hash, range) key names by index name; "" is the table itself.
    keys: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # key attribute -> S, N or B


@dataclass(frozen=True)
class Route:
    """One method of the API's Swagger: what the "try it" form asks for and sends."""

    method: str  # "POST"
    path: str  # "/items/{item_id}", as declared
    params: list[str]  # the path's parameters, in order
    api_key: bool  # sent with the app's key (``x-api-key``)
    authorizer: str | None  # a Cognito authorizer's name: the caller gives an ID token
    body: bool  # a method that takes a body (POST, PUT, PATCH)


@dataclass(frozen=True)
class Api:
    url: str
    key: str
    routes: list[Route]


@dataclass
class SystemView:
    name: str
    api: Api | None = None
    functions: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)  # schedule ids
    state_machines: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)


def _system(resource: DeclaredResource) -> str:
    return str((resource.inputs.get("tags") or {}).get("system", "other"))


def _queues(mocks: Declaration) -> dict[str, Queue]:
    declared = mocks.of_type(QUEUE)
    names = {str(q.outputs["arn"]): str(q.inputs["name"]) for q in declared}
    sources: dict[str, str] = {}
    redrives: dict[str, tuple[str, int]] = {}
    for queue in declared:
        policy = queue.inputs.get("redrivePolicy")
        if not policy:
            continue
        parsed = json.loads(policy) if isinstance(policy, str) else dict(policy)
        dlq = names.get(str(parsed["deadLetterTargetArn"]))
        if dlq is not None:
            sources[dlq] = str(queue.inputs["name"])
            redrives[str(queue.inputs["name"])] = (dlq, int(parsed["maxReceiveCount"]))
    found = {}
    for queue in declared:
        name = str(queue.inputs["name"])
        dlq, receives = redrives.get(name, (None, None))
        found[name] = Queue(
            name=name,
            url=str(queue.outputs["url"]),
            arn=str(queue.outputs["arn"]),
            system=_system(queue),
            source=sources.get(name),
            dead_letter=dlq,
            max_receive_count=receives,
        )
    return found


def _index_keys(spec: dict[str, Any], table_hash: str) -> tuple[str, str | None]:
    """A GSI's keys (``keySchemas``, or ``hashKey``/``rangeKey``) or an LSI's (the table's
    hash key and its ``rangeKey``)."""
    if spec.get("keySchemas"):
        kinds = {k["keyType"]: str(k["attributeName"]) for k in spec["keySchemas"]}
        return kinds["HASH"], kinds.get("RANGE")
    return str(spec.get("hashKey") or table_hash), spec.get("rangeKey")


def _tables(mocks: Declaration) -> dict[str, Table]:
    found = {}
    for table in mocks.of_type(TABLE):
        inputs = table.inputs
        hash_key = str(inputs["hashKey"])
        keys: dict[str, tuple[str, str | None]] = {"": (hash_key, inputs.get("rangeKey"))}
        for kind in ("globalSecondaryIndexes", "localSecondaryIndexes"):
            for spec in inputs.get(kind) or []:
                keys[str(spec["name"])] = _index_keys(spec, hash_key)
        found[str(inputs["name"])] = Table(
            name=str(inputs["name"]),
            system=_system(table),
            hash_key=hash_key,
            range_key=inputs.get("rangeKey"),
            indexes=[name for name in keys if name],
            keys=keys,
            types={str(a["name"]): str(a["type"]) for a in inputs.get("attributes") or []},
        )
    return found


def _is_api_key(scheme: dict[str, Any]) -> bool:
    """API Gateway's own API key (``x-api-key``), not an authorizer reading a header."""
    return (
        scheme.get("type") == "apiKey"
        and str(scheme.get("name", "")).lower() == API_KEY_HEADER
        and AUTH_TYPE not in scheme
    )


def _routes(api: DeclaredResource) -> list[Route]:
    """The API's routes, from the Swagger body the program gives API Gateway: each method's
    ``security`` names the API key scheme or a Cognito authorizer (``securityDefinitions``)."""
    swagger = json.loads(api.inputs.get("body") or "{}")
    schemes = swagger.get("securityDefinitions", {})
    routes = []
    for path, methods in sorted(swagger.get("paths", {}).items()):
        for method, spec in methods.items():
            if method not in _METHODS:
                continue
            # Each entry of ``security`` names schemes, all of which the method takes.
            named = [name for entry in spec.get("security") or [] for name in entry]
            needs = {name: schemes.get(name, {}) for name in named}
            cognito = [name for name, scheme in needs.items() if scheme.get(AUTH_TYPE) == COGNITO]
            routes.append(
                Route(
                    method=method.upper(),
                    path=path,
                    params=re.findall(r"{([^}+]+)\+?}", path),
                    api_key=any(_is_api_key(scheme) for scheme in needs.values()),
                    authorizer=cognito[0] if cognito else None,
                    body=method in _WITH_BODY,
                )
            )
    return routes


def schedule_id(target: ScheduledTarget) -> str:
    """A schedule's id on the page and in the API: its rule's (or schedule's) name."""
    return target.rule.rsplit("/", 1)[-1]


@dataclass
class Catalog:
    """Every resource the console can show or act on, by name; the console refuses any
    other name, so it reaches only what the program declared."""

    systems: dict[str, SystemView]
    functions: dict[str, DeclaredFunction]
    queues: dict[str, Queue]
    tables: dict[str, Table]
    schedules: dict[str, ScheduledTarget]
    state_machines: dict[str, str]  # name -> ARN
    alarms: list[str]

    def overview(self) -> dict[str, Any]:
        """The systems view's JSON, and each table's keys (the query form's fields)."""
        return {
            "systems": [asdict(s) for s in self.systems.values()],
            "tables": {name: t.keys for name, t in self.tables.items()},
        }


def build_catalog(
    mocks: Declaration,
    schedules: list[ScheduledTarget],
    apps: dict[str, str],
    api_keys: dict[str, str],
) -> Catalog:
    """The catalog of a running stack: the program's record, the stack's live schedule
    targets (whose next fire time it moves on) and its apps' URLs and keys."""
    functions = declared_functions(mocks)
    queues, tables = _queues(mocks), _tables(mocks)
    machines = {str(m.inputs["name"]): m for m in mocks.of_type(STATE_MACHINE)}
    alarms = mocks.of_type(ALARM)
    systems: dict[str, SystemView] = {}

    def system(name: str) -> SystemView:
        return systems.setdefault(name, SystemView(name))

    for api in mocks.of_type(REST_API):
        app = _system(api)
        if app in apps:
            system(app).api = Api(apps[app], api_keys.get(app, ""), _routes(api))
    for function in functions.values():
        if function.handler != API_HANDLER:
            system(function.app).functions.append(function.name)
    for queue in queues.values():
        system(queue.system).queues.append(queue.name)
    for table in tables.values():
        system(table.system).tables.append(table.name)
    for name, machine in machines.items():
        system(_system(machine)).state_machines.append(name)
    for alarm in alarms:
        system(_system(alarm)).alarms.append(str(alarm.inputs["name"]))
    machine_systems = {str(m.outputs["arn"]): _system(m) for m in machines.values()}
    for target in schedules:
        target_name = function_name(target.target_arn)
        owner = (
            functions[target_name].app
            if target_name in functions
            else machine_systems.get(target.target_arn, "other")
        )
        system(owner).schedules.append(schedule_id(target))
    return Catalog(
        systems=dict(sorted(systems.items())),
        functions=functions,
        queues=queues,
        tables=tables,
        schedules={schedule_id(t): t for t in schedules},
        state_machines={n: str(m.outputs["arn"]) for n, m in machines.items()},
        alarms=[str(a.inputs["name"]) for a in alarms],
    )
