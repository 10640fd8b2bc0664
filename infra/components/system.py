"""The base of every system: what each one gets without asking, so none can forget it.

A system's component (``infra/systems/<system>/component.py``) subclasses ``FleetSystem``.
The base reads the system's settings namespace, tags everything, creates the system's alert
topic, and hands out the building blocks already wired to it: a Chalice app whose every
function has an Errors alarm and whose API has a 5xx-rate alarm, queues whose DLQ depth
alarms, tables and operator secrets with the stack's protection. What it exports (API URL
and key id) is collected in ``exports`` for ``infra/__main__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic

import pulumi
import pulumi_aws as aws

from infra.components.alerts import AlertTopic, AlertTopicArgs
from infra.components.chalice_app import ChaliceApp, ChaliceAppArgs
from infra.components.chalice_package import ChalicePackage
from infra.components.failed_events import FailedEventsArgs, FailedEventsQueue
from infra.components.function import FunctionAccess
from infra.components.monitoring import Watch, system_dashboard
from infra.components.queue import QueueWithDlq, QueueWithDlqArgs
from infra.components.scheduler import TimedRun
from infra.components.secrets import operator_secret
from infra.components.table import Table, TableArgs
from infra.components.tags import fleet_tags
from infra.settings import QueueSettings, SettingsT, StackSettings, load_system_settings
from shared.names import physical
from shared.schema import TableSchema


@dataclass
class SystemArgs:
    settings: StackSettings
    package: ChalicePackage


@dataclass
class AppRoutes:
    """How the system's API is exposed: its name, the paths served without an API key
    (each with the reason), and the user pool of each Cognito authorizer its routes name."""

    api_name: str
    keyless_paths: dict[str, str] = field(default_factory=dict)
    authorizers: dict[str, pulumi.Input[str]] = field(default_factory=dict)


class FleetSystem(pulumi.ComponentResource, Generic[SettingsT]):
    """Subclasses set ``system``, ``type_token``, ``settings_model`` and ``alerts_topic``."""

    system: ClassVar[str]
    # Kept stable: a resource's URN contains its parents' types.
    type_token: ClassVar[str]
    settings_model: ClassVar[type]
    # Base name of the system's alert topic (the stack is appended).
    alerts_topic: ClassVar[str]

    def __init__(
        self, name: str, args: SystemArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.type_token, name, None, opts)
        self.name = name
        self.platform = args.settings
        self.package = args.package
        self.stack = args.settings.stack
        self.settings: SettingsT = load_system_settings(self.system, self.settings_model)
        self.tags = fleet_tags(self.stack, self.system)
        self.child = pulumi.ResourceOptions(parent=self)
        self.exports: dict[str, pulumi.Input[object]] = {}
        self.alerts = AlertTopic(
            f"{name}-alerts",
            AlertTopicArgs(
                topic_name=physical(self.alerts_topic, self.stack),
                email=str(self.platform.alarm_email),
                region=self.platform.region,
                tags=self.tags,
            ),
            opts=self.child,
        )
        # What the system's own alarms and dashboard are declared with (its monitoring.py).
        self.watch = Watch(self.stack, self.tags, self.alerts.arn, self.platform.protect_data, self)

    def table(self, key: str, schema: TableSchema, stream_view_type: str | None = None) -> Table:
        """A table of the system: encrypted, on demand; protected where the stack is."""
        return Table(
            f"{self.name}-{key}",
            TableArgs(
                schema=schema,
                stack=self.stack,
                tags=self.tags,
                protect=self.platform.protect_data,
                stream_view_type=stream_view_type,
            ),
            opts=self.child,
        )

    def queue(
        self, key: str, base_name: str, dlq_base_name: str, settings: QueueSettings
    ) -> QueueWithDlq:
        """A work queue with its DLQ, whose depth alarms on the system's topic."""
        return QueueWithDlq(
            f"{self.name}-{key}",
            QueueWithDlqArgs(
                queue_name=physical(base_name, self.stack),
                dlq_name=physical(dlq_base_name, self.stack),
                settings=settings,
                alarm_topic_arn=self.alerts.arn,
                tags=self.tags,
                protect=self.platform.protect_data,
            ),
            opts=self.child,
        )

    def operator_secret(self, key: str, base_name: str, holds: str) -> aws.secretsmanager.Secret:
        """A secret of this stack whose value operators set (``holds`` says what)."""
        return operator_secret(
            f"{self.name}-{key}",
            name=physical(base_name, self.stack),
            holds=holds,
            tags=self.tags,
            protect=self.platform.protect_data,
            parent=self,
        )

    def chalice_app(
        self,
        access: dict[str, FunctionAccess],
        *,
        routes: AppRoutes | None = None,
        queues: dict[str, QueueWithDlq] | None = None,
        schedules: dict[str, str] | None = None,
        api_url_variable: str | None = None,
        streams: dict[str, Table] | None = None,
        timed: dict[str, tuple[TimedRun, ...]] | None = None,
    ) -> ChaliceApp:
        """The system's Chalice package as functions (each with its Errors alarm), queue
        sources, schedules and API (with its 5xx-rate alarm); exports the API's URL and key
        id as ``<system>_api_url`` and ``<system>_api_key_id``. A package with schedules
        also gets the system's failed-events queue (``<system>-failed-events-<stack>``), and
        so does one with ``timed`` runs: EventBridge Scheduler schedules of plain functions
        (``@app.lambda_function``), by logical id, each in its own time zone."""
        failed_events = None
        if timed or any(handler.schedules for handler in self.package.handlers.values()):
            failed_events = FailedEventsQueue(
                f"{self.name}-failed-events",
                FailedEventsArgs(
                    queue_name=physical(f"{self.system}-failed-events", self.stack),
                    alarm_topic_arn=self.alerts.arn,
                    tags=self.tags,
                    protect=self.platform.protect_data,
                ),
                opts=self.child,
            )
        app = ChaliceApp(
            f"{self.name}-app",
            ChaliceAppArgs(
                package=self.package,
                settings=self.platform,
                tags=self.tags,
                access=access,
                alarm_topic_arn=self.alerts.arn,
                queues=queues or {},
                schedules=schedules or {},
                timed=timed or {},
                api_name=routes.api_name if routes else None,
                keyless_paths=routes.keyless_paths if routes else {},
                authorizers=routes.authorizers if routes else {},
                streams=streams or {},
                api_url_variable=api_url_variable,
                failed_events=failed_events,
            ),
            opts=self.child,
        )
        if failed_events is not None:
            failed_events.seal()
        # What else the system schedules (a state machine) keeps its undelivered events here.
        self.failed_events = failed_events
        if app.api is not None:
            self.exports[f"{self.system}_api_url"] = app.api.url
            self.exports[f"{self.system}_api_key_id"] = app.api.api_key.id
        return app

    def declare_dashboard(self, body: pulumi.Output[dict[str, Any]]) -> aws.cloudwatch.Dashboard:
        """The system's one dashboard, named after the system and exported as
        ``<system>_dashboard``."""
        dashboard = system_dashboard(
            f"{self.name}-dashboard", physical(self.system, self.stack), body, self.watch
        )
        self.exports[f"{self.system}_dashboard"] = dashboard.dashboard_name
        return dashboard

    def finish(self) -> None:
        """Call last: registers what the system exports."""
        self.register_outputs(dict(self.exports))
