"""mentions (seed 000): the mentions table, the ingester's state table, the MentionMind
secret, the mentions Chalice app (scheduled ingester + ``GET /mentions``), its alarms on an
e-mail topic, and a dashboard."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.alarms import (
    api_5xx_rate_alarm,
    error_rate_alarm,
    function_errors_alarm,
    no_success_alarm,
)
from infra.components.alerts import AlertTopic, AlertTopicArgs
from infra.components.chalice_app import ChaliceApp, ChaliceAppArgs
from infra.components.chalice_package import ChalicePackage
from infra.components.function import FunctionAccess
from infra.components.secrets import operator_secret
from infra.components.table import Index, Table, TableArgs
from infra.components.tags import fleet_tags
from infra.settings import StackSettings
from shared import env, names
from shared.names import physical

SYSTEM = "mentions"
INGESTER = "IngestMentions"
API_HANDLER = "APIHandler"
SOURCE_INDEX = "source-timestamp-index"
# A lease outlives the run that holds it by this much, so it never lapses mid-run.
LEASE_MARGIN_SECONDS = 60
# The MentionMind API error rate that pages someone, over an hour of runs.
API_ERROR_PERCENT = 20.0
READ_API_5XX_PERCENT = 5.0
# The ingester's EMF metrics carry powertools' ``service`` dimension.
METRIC_DIMENSIONS = {"service": names.MENTIONS_INGESTER_SERVICE}


@dataclass
class MentionsArgs:
    settings: StackSettings
    package: ChalicePackage


class MentionsSystem(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: MentionsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:mentions:MentionsSystem", name, None, opts)
        settings = args.settings
        stack = settings.stack
        tags = fleet_tags(stack, SYSTEM)
        child = pulumi.ResourceOptions(parent=self)

        self.alerts = AlertTopic(
            f"{name}-alerts",
            AlertTopicArgs(
                topic_name=physical(names.MENTIONS_ALERTS_TOPIC, stack),
                email=str(settings.alarm_email),
                tags=tags,
            ),
            opts=child,
        )
        self.mentions = Table(
            f"{name}-mentions",
            TableArgs(
                table_name=physical(names.MENTIONS_TABLE, stack),
                hash_key="mention_id",
                range_key="timestamp",
                attributes={"mention_id": "S", "timestamp": "S", "source": "S"},
                global_indexes=[Index(SOURCE_INDEX, "source", "timestamp")],
                # Items carry expires_at = stored time + mentions.retentionDays (the ingester
                # writes it); DynamoDB deletes them after that.
                ttl_attribute=names.MENTIONS_TTL_ATTRIBUTE,
                tags=tags,
                protect=settings.protect_data,
            ),
            opts=child,
        )
        self.state = Table(
            f"{name}-ingester-state",
            TableArgs(
                table_name=physical(names.MENTIONS_INGESTER_STATE_TABLE, stack),
                hash_key="state_key",
                attributes={"state_key": "S"},
                tags=tags,
                protect=settings.protect_data,
            ),
            opts=child,
        )
        self.mentionmind_secret = operator_secret(
            f"{name}-mentionmind-key",
            name=physical(names.MENTIONMIND_SECRET, stack),
            holds='MentionMind account key for the ingester: {"api_key": "..."}',
            tags=tags,
            protect=settings.protect_data,
            parent=self,
        )
        self.app = ChaliceApp(
            f"{name}-app",
            ChaliceAppArgs(
                package=args.package,
                settings=settings,
                tags=tags,
                access={
                    API_HANDLER: self._reader_access(),
                    INGESTER: self._ingester_access(settings, args.package),
                },
                schedules={INGESTER: settings.mentions.schedule},
                api_name=physical(names.MENTIONS_API, stack),
            ),
            opts=child,
        )
        if self.app.api is None:
            raise ValueError("the mentions package has no routes: rebuild it with `make package`")
        self.api_url = self.app.api.url
        self.api_key_id = self.app.api.api_key.id
        self._alarms(name, settings, tags)
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=physical("mentions", stack),
            dashboard_body=pulumi.Output.all(
                ingester=self.app.functions[INGESTER].function.name,
                reader=self.app.functions[API_HANDLER].function.name,
                api=self.app.api.api.name,
            ).apply(
                lambda n: json.dumps(dashboard(settings, n["ingester"], n["reader"], n["api"]))
            ),
            opts=child,
        )
        self.register_outputs({"mentions_table": self.mentions.name, "api_url": self.api_url})

    def _reader_access(self) -> FunctionAccess:
        return FunctionAccess(
            environment={env.MENTIONS_TABLE: self.mentions.name},
            statements=[
                {
                    "Sid": "QueryMentionsBySource",
                    "Action": ["dynamodb:Query"],
                    "Resource": [pulumi.Output.concat(self.mentions.arn, f"/index/{SOURCE_INDEX}")],
                }
            ],
        )

    def _ingester_access(self, settings: StackSettings, package: ChalicePackage) -> FunctionAccess:
        mentions = settings.mentions
        window = {
            "firstRunLookbackHours": mentions.first_run_lookback_hours,
            "overlapMinutes": mentions.overlap_minutes,
            "maxWindowHours": mentions.max_window_hours,
            "leaseSeconds": package.handlers[INGESTER].timeout_seconds + LEASE_MARGIN_SECONDS,
        }
        return FunctionAccess(
            environment={
                env.MENTIONS_TABLE: self.mentions.name,
                env.MENTIONS_RETENTION_DAYS: str(mentions.retention_days),
                env.INGESTER_STATE_TABLE: self.state.name,
                env.MENTIONMIND_SECRET_NAME: self.mentionmind_secret.name,
                env.MENTIONMIND_PROJECT_IDS: json.dumps(mentions.project_ids),
                env.INGESTION_WINDOW: json.dumps(window),
                env.SECRETS_CACHE_SECONDS: str(settings.secrets_cache_seconds),
            },
            statements=[
                {
                    "Sid": "StoreMentions",
                    "Action": ["dynamodb:PutItem"],
                    "Resource": [self.mentions.arn],
                },
                {
                    "Sid": "LeaseAndCursor",
                    "Action": ["dynamodb:UpdateItem", "dynamodb:GetItem"],
                    "Resource": [self.state.arn],
                },
                {
                    "Sid": "ReadMentionMindKey",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [self.mentionmind_secret.arn],
                },
            ],
        )

    def _alarms(self, name: str, settings: StackSettings, tags: dict[str, str]) -> None:
        stack = settings.stack
        topic = self.alerts.arn
        for logical_id, function in self.app.functions.items():
            function_errors_alarm(
                f"{name}-{logical_id.lower()}", function.function.name, topic, tags, self
            )
        error_rate_alarm(
            f"{name}-mentionmind-error-rate",
            name=physical("mentions-mentionmind-error-rate", stack),
            description=f"{API_ERROR_PERCENT}% or more of the calls to MentionMind failed "
            "in an hour (after retries). See docs/runbooks/mentions.md.",
            namespace=names.MENTIONS_METRICS_NAMESPACE,
            errors_metric="ApiErrors",
            calls_metric="ApiCalls",
            dimensions=dict(METRIC_DIMENSIONS),
            percent=API_ERROR_PERCENT,
            period_seconds=3600,
            topic_arn=topic,
            tags=tags,
            parent=self,
        )
        no_success_alarm(
            f"{name}-no-successful-run",
            name=physical("mentions-no-successful-run", stack),
            description=f"No ingester run succeeded for {settings.mentions.stale_after_hours} "
            "hours: the mentions table is falling behind. See docs/runbooks/mentions.md.",
            namespace=names.MENTIONS_METRICS_NAMESPACE,
            metric_name="SuccessfulRuns",
            dimensions=dict(METRIC_DIMENSIONS),
            hours=settings.mentions.stale_after_hours,
            topic_arn=topic,
            tags=tags,
            parent=self,
        )
        if self.app.api is not None:
            api_5xx_rate_alarm(
                f"{name}-read-api-5xx",
                api_name=self.app.api.api.name,
                stage=stack,
                percent=READ_API_5XX_PERCENT,
                topic_arn=topic,
                tags=tags,
                parent=self,
            )


def dashboard(settings: StackSettings, ingester: str, reader: str, api: str) -> dict[str, Any]:
    """One screen for the on-call: what each run did, how MentionMind behaves, the functions'
    health and the read API's traffic."""
    region = settings.region
    namespace = names.MENTIONS_METRICS_NAMESPACE
    service = ["service", names.MENTIONS_INGESTER_SERVICE]

    def widget(
        title: str, metrics: list[list[Any]], x: int, y: int, stat: str = "Sum"
    ) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "stat": stat,
                "period": 900,
                "view": "timeSeries",
                "metrics": metrics,
            },
        }

    return {
        "widgets": [
            widget(
                "Mentions per run",
                [
                    [namespace, metric, *service]
                    for metric in (
                        "MentionsFetched",
                        "MentionsStored",
                        "MentionsDuplicate",
                        "MentionsInvalid",
                    )
                ],
                0,
                0,
            ),
            widget(
                "Runs",
                [
                    [namespace, "SuccessfulRuns", *service],
                    [namespace, "FailedProjects", *service],
                ],
                12,
                0,
            ),
            widget(
                "MentionMind latency (ms, p50 / p95)",
                [
                    [namespace, "ApiLatency", *service, {"stat": "p50"}],
                    [namespace, "ApiLatency", *service, {"stat": "p95"}],
                ],
                0,
                6,
                stat="p50",
            ),
            widget(
                "MentionMind calls and errors",
                [[namespace, "ApiCalls", *service], [namespace, "ApiErrors", *service]],
                12,
                6,
            ),
            widget(
                "Functions: errors and duration (max, ms)",
                [
                    ["AWS/Lambda", "Errors", "FunctionName", ingester],
                    ["AWS/Lambda", "Errors", "FunctionName", reader],
                    ["AWS/Lambda", "Duration", "FunctionName", ingester, {"stat": "Maximum"}],
                ],
                0,
                12,
            ),
            widget(
                "Read API: requests, 4xx, 5xx",
                [
                    ["AWS/ApiGateway", metric, "ApiName", api, "Stage", settings.stack]
                    for metric in ("Count", "4XXError", "5XXError")
                ],
                12,
                12,
            ),
        ]
    }
