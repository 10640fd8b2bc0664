"""mentions (seed 000): the mentions table, the ingester's state table, the MentionMind
secret, the mentions Chalice app (scheduled ingester + ``GET /mentions``), its own alarms
(MentionMind error rate, no successful run) and a dashboard."""

from __future__ import annotations

import json

import pulumi

from chalicelib.mentions import env, names
from infra.components.function import FunctionAccess
from infra.components.system import AppRoutes, FleetSystem, SystemArgs
from infra.systems.mentions.monitoring import alarms, dashboard
from infra.systems.mentions.settings import MentionsSettings
from shared.env import SECRETS_CACHE_SECONDS
from shared.names import physical

INGESTER = "IngestMentions"
API_HANDLER = "APIHandler"
# A lease outlives the run that holds it by this much, so it never lapses mid-run.
LEASE_MARGIN_SECONDS = 60


class MentionsSystem(FleetSystem[MentionsSettings]):
    system = "mentions"
    type_token = "fleet:mentions:MentionsSystem"
    settings_model = MentionsSettings
    alerts_topic = names.MENTIONS_ALERTS_TOPIC

    def __init__(
        self, name: str, args: SystemArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, args, opts)
        self.mentions = self.table("mentions", names.MENTIONS_TABLE)
        self.state = self.table("ingester-state", names.MENTIONS_INGESTER_STATE_TABLE)
        self.mentionmind_secret = self.operator_secret(
            "mentionmind-key",
            names.MENTIONMIND_SECRET,
            'MentionMind account key for the ingester: {"api_key": "..."}',
        )
        self.app = self.chalice_app(
            {API_HANDLER: self._reader_access(), INGESTER: self._ingester_access()},
            routes=AppRoutes(api_name=physical(names.MENTIONS_API, self.stack)),
            schedules={INGESTER: self.settings.schedule},
        )
        if self.app.api is None:
            raise ValueError("the mentions package has no routes: rebuild it with `make package`")
        alarms(name, self.watch, self.settings)
        self.declare_dashboard(
            pulumi.Output.all(
                ingester=self.app.functions[INGESTER].function.name,
                reader=self.app.functions[API_HANDLER].function.name,
                api=self.app.api.api.name,
            ).apply(
                lambda n: dashboard(
                    self.stack, self.platform.region, n["ingester"], n["reader"], n["api"]
                )
            )
        )
        self.exports["mentions_table"] = self.mentions.name
        self.finish()

    def _reader_access(self) -> FunctionAccess:
        return FunctionAccess(
            environment={env.MENTIONS_TABLE: self.mentions.name},
            statements=[
                {
                    "Sid": "QueryMentionsBySource",
                    "Action": ["dynamodb:Query"],
                    "Resource": [self.mentions.index_arn(names.SOURCE_INDEX.name)],
                }
            ],
        )

    def _ingester_access(self) -> FunctionAccess:
        settings = self.settings
        window = {
            "firstRunLookbackHours": settings.first_run_lookback_hours,
            "overlapMinutes": settings.overlap_minutes,
            "maxWindowHours": settings.max_window_hours,
            "leaseSeconds": self.package.handlers[INGESTER].timeout_seconds + LEASE_MARGIN_SECONDS,
        }
        return FunctionAccess(
            environment={
                env.MENTIONS_TABLE: self.mentions.name,
                env.MENTIONS_RETENTION_DAYS: str(settings.retention_days),
                env.INGESTER_STATE_TABLE: self.state.name,
                env.MENTIONMIND_SECRET_NAME: self.mentionmind_secret.name,
                env.MENTIONMIND_PROJECT_IDS: json.dumps(settings.project_ids),
                env.INGESTION_WINDOW: json.dumps(window),
                SECRETS_CACHE_SECONDS: str(self.platform.secrets_cache_seconds),
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


SYSTEM = MentionsSystem
