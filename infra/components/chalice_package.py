"""Read what ``chalice package`` wrote (``build/<app>/sam.json``) into plain dataclasses.

The template is the source of truth for each handler: its entry point, runtime, memory,
timeout, SQS sources and schedules, and the REST API's Swagger. The program creates the real
resources from it and declares none of these by hand. Chalice's own role (``DefaultRole``,
with wildcard resources) is never used: every function gets its own least-privilege role.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.packaging import BUILD_DIR

_QUEUE_ARN_SUB = re.compile(r":sqs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:(?P<queue>[^:]+)$")
# ``@app.on_dynamodb_record(stream_arn=...)`` wants an ARN when the app is imported, before
# any table exists: apps give ``arn:aws:dynamodb:::table/<base name>/stream/<anything>`` and
# the program connects the stream of the table with that base name.
_TABLE_STREAM = re.compile(r":table/(?P<table>[^/]+)/stream/")


class PackageMissingError(RuntimeError):
    """No package was built for an app the program deploys."""


@dataclass(frozen=True)
class SqsSource:
    """An ``@app.on_sqs_message`` handler's queue (by the logical name the app uses)."""

    queue: str
    batch_size: int
    batching_window_seconds: int


@dataclass(frozen=True)
class StreamSource:
    """An ``@app.on_dynamodb_record`` handler's table (by the base name the app uses)."""

    table: str
    batch_size: int
    starting_position: str
    batching_window_seconds: int


@dataclass(frozen=True)
class PackagedHandler:
    """One Lambda function of the package."""

    logical_id: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_seconds: int
    architectures: tuple[str, ...]
    sqs_sources: tuple[SqsSource, ...] = ()
    schedules: tuple[str, ...] = ()
    stream_sources: tuple[StreamSource, ...] = ()


@dataclass(frozen=True)
class ChalicePackage:
    """An app's package: its handlers, its API (if it has routes) and the code archive."""

    app: str
    zip_path: Path
    handlers: dict[str, PackagedHandler]
    swagger: dict[str, Any] | None = None
    api_handler: str | None = None
    template: dict[str, Any] = field(default_factory=dict, repr=False)


def _sqs_source(props: dict[str, Any]) -> SqsSource:
    queue_ref = props["Queue"]
    text = queue_ref.get("Fn::Sub", "") if isinstance(queue_ref, dict) else str(queue_ref)
    match = _QUEUE_ARN_SUB.search(text)
    if match is None:
        raise ValueError(f"unrecognised SQS queue reference in the package: {queue_ref!r}")
    return SqsSource(
        queue=match["queue"],
        batch_size=int(props.get("BatchSize", 10)),
        batching_window_seconds=int(props.get("MaximumBatchingWindowInSeconds", 0)),
    )


def _stream_source(props: dict[str, Any]) -> StreamSource:
    match = _TABLE_STREAM.search(str(props["Stream"]))
    if match is None:
        raise ValueError(f"unrecognised DynamoDB stream in the package: {props['Stream']!r}")
    return StreamSource(
        table=match["table"],
        batch_size=int(props.get("BatchSize", 100)),
        starting_position=str(props.get("StartingPosition", "LATEST")),
        batching_window_seconds=int(props.get("MaximumBatchingWindowInSeconds", 0)),
    )


def _handler(logical_id: str, props: dict[str, Any]) -> PackagedHandler:
    sqs: list[SqsSource] = []
    schedules: list[str] = []
    streams: list[StreamSource] = []
    for name, event in props.get("Events", {}).items():
        kind = event["Type"]
        if kind == "SQS":
            sqs.append(_sqs_source(event["Properties"]))
        elif kind == "Schedule":
            schedules.append(event["Properties"]["Schedule"])
        elif kind == "DynamoDB":
            streams.append(_stream_source(event["Properties"]))
        else:
            raise ValueError(f"{logical_id}: event {name} of type {kind} is not supported yet")
    return PackagedHandler(
        logical_id=logical_id,
        handler=props["Handler"],
        runtime=props["Runtime"],
        memory_mb=int(props["MemorySize"]),
        timeout_seconds=int(props["Timeout"]),
        architectures=tuple(props.get("Architectures", ["x86_64"])),
        sqs_sources=tuple(sqs),
        schedules=tuple(schedules),
        stream_sources=tuple(streams),
    )


def load_package(app: str, build_dir: Path = BUILD_DIR) -> ChalicePackage:
    """Load ``build_dir/<app>``.

    Raises:
        PackageMissingError: the template or the zip is missing; the message says to run
            ``make package``.
    """
    folder = build_dir / app
    template_path = folder / "sam.json"
    zip_path = folder / "deployment.zip"
    if not template_path.is_file() or not zip_path.is_file():
        raise PackageMissingError(
            f"the '{app}' package is missing ({template_path} or {zip_path.name}): "
            "run `make package` first"
        )
    template = json.loads(template_path.read_text())
    handlers: dict[str, PackagedHandler] = {}
    swagger = None
    api_handler = None
    for logical_id, resource in template["Resources"].items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::Serverless::Function":
            handlers[logical_id] = _handler(logical_id, props)
        elif kind == "AWS::Serverless::Api":
            swagger = props["DefinitionBody"]
    if swagger is not None:
        api_handler = "APIHandler"
        if api_handler not in handlers:
            raise ValueError(f"the '{app}' package has an API but no {api_handler} function")
    return ChalicePackage(
        app=app,
        zip_path=zip_path,
        handlers=handlers,
        swagger=swagger,
        api_handler=api_handler,
        template=template,
    )
