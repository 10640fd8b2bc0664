"""trends (seed 002, part 1): the TrendAnalytics and VideoMetadata tables, the state table
(the YouTube quota counted per Pacific day), the configuration's versions table, the
YouTube API key secret, the user pool people sign in with, and the trends Chalice app: the
daily analysis on an EventBridge Scheduler schedule in New York time, the configuration API
and its page, with its own alarms (no successful analysis, a quota stop) and a dashboard.

Part 2 adds the video pipeline, whose state machine the 2 AM generation schedule targets.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from chalicelib.trends import env, names
from infra.components.function import FunctionAccess, Statement
from infra.components.scheduler import TimedRun
from infra.components.system import AppRoutes, FleetSystem, SystemArgs
from infra.components.user_pool import UserPool, UserPoolArgs
from infra.systems.trends.monitoring import (
    alarms,
    dashboard,
    failed_executions,
    monthly_budget,
    videos_failed_alarm,
)
from infra.systems.trends.settings import TrendsSettings
from infra.systems.trends.video_pipeline import VideoPipeline
from infra.systems.trends.video_resources import VideoResources, VideoResourcesArgs
from shared.env import SECRETS_CACHE_SECONDS
from shared.names import physical

ANALYZE = "AnalyzeTrends"
API_HANDLER = "APIHandler"


class TrendsSystem(FleetSystem[TrendsSettings]):
    system = "trends"
    type_token = "fleet:trends:TrendsSystem"
    settings_model = TrendsSettings
    alerts_topic = names.TRENDS_ALERTS_TOPIC

    def __init__(
        self, name: str, args: SystemArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, args, opts)
        settings = self.settings
        self.trend_analytics = self.table("trend-analytics", names.TREND_ANALYTICS_TABLE)
        self.video_metadata = self.table("video-metadata", names.VIDEO_METADATA_TABLE)
        self.state = self.table("state", names.TRENDS_STATE_TABLE)
        self.config = self.table("config", names.CONFIG_TABLE)
        self.video = VideoResources(
            f"{name}-video",
            VideoResourcesArgs(
                stack=self.stack,
                tags=self.tags,
                protect=self.platform.protect_data,
                intermediate_retention_days=settings.intermediate_retention_days,
                finals_infrequent_access_days=settings.finals_infrequent_access_days,
            ),
            opts=self.child,
        )
        self.videos_bucket = self.video.bucket
        self.mediaconvert_role = self.video.mediaconvert_role
        videos_failed_alarm(f"{name}-videos-failed", self.watch)
        monthly_budget(
            f"{name}-budget",
            self.watch,
            settings.video_pipeline.monthly_budget_usd,
            settings.budget_alert_emails,
        )
        self.users = UserPool(
            f"{name}-users",
            UserPoolArgs(
                pool_name=physical(names.USER_POOL, self.stack),
                client_name=physical(names.USER_POOL_CLIENT, self.stack),
                tags=self.tags,
                protect=self.platform.protect_data,
            ),
            opts=self.child,
        )
        self.youtube_secret = self.operator_secret(
            "youtube-api-key",
            names.YOUTUBE_API_KEY_SECRET,
            'YouTube Data API v3 key for the trend analysis: {"api_key": "..."}',
        )
        self.pipeline = VideoPipeline(self)
        self.app = self.chalice_app(
            {
                ANALYZE: self._analysis_access(),
                API_HANDLER: self._api_access(),
                **self.pipeline.access(),
            },
            queues={names.RENDER_EVENTS_KEY: self.pipeline.render_events},
            routes=AppRoutes(
                api_name=physical(names.TRENDS_API, self.stack),
                authorizers={names.AUTHORIZER: self.users.arn},
                keyless_paths={
                    "/": "the page: it signs people in, so it cannot need a token",
                    "/sign-in": "what the page signs in with (an app client id is public)",
                },
            ),
            timed={
                ANALYZE: (
                    TimedRun(
                        key="daily-analysis",
                        expression=settings.analysis_schedule,
                        timezone=settings.schedule_timezone,
                        description="Seed 002 §6.1: the daily trend analysis (New York time)",
                    ),
                )
            },
        )
        self.pipeline.declare(self.app)
        failed_executions(f"{name}-failed-executions", self.watch, self.pipeline.machine.arn)
        alarms(name, self.watch, self.settings)
        analysis = self.app.functions[ANALYZE].function.name
        self.declare_dashboard(
            pulumi.Output.all(analysis, self.pipeline.machine.arn).apply(
                lambda values: dashboard(self.platform.region, self.settings, *values)
            )
        )
        self.exports.update(
            {
                "trend_analytics_table": self.trend_analytics.name,
                "video_metadata_table": self.video_metadata.name,
                "trends_videos_table": self.pipeline.videos.name,
                "trends_videos_bucket": self.videos_bucket.name,
                "trends_pipeline_arn": self.pipeline.machine.arn,
                "trends_user_pool_id": self.users.id,
                "trends_user_pool_client_id": self.users.client_id,
            }
        )
        self.finish()

    def _config(self) -> str:
        """The analysis' settings, as ``analysis_config.AnalysisConfig`` reads them
        (camelCase)."""
        s = self.settings
        return json.dumps(
            {
                "topics": [t.model_dump(by_alias=True) for t in s.topics],
                "regions": s.regions,
                "maxPages": s.max_pages,
                "pageSize": s.page_size,
                "quotaUnitsPerDay": s.quota_units_per_day,
                "trendsPerTopic": s.trends_per_topic,
                "keywordsPerVideo": s.keywords_per_video,
                "retentionDays": s.retention_days,
            }
        )

    @staticmethod
    def _grant(sid: str, actions: list[str], resources: list[Any]) -> Statement:
        return {"Sid": sid, "Action": sorted(actions), "Resource": resources}

    def _analysis_access(self) -> FunctionAccess:
        """Read the key; read previous snapshots and write new ones; write rankings (and
        read the latest, to report it); count quota units."""
        return FunctionAccess(
            environment={
                env.TREND_ANALYTICS_TABLE: self.trend_analytics.name,
                env.VIDEO_METADATA_TABLE: self.video_metadata.name,
                env.STATE_TABLE: self.state.name,
                env.YOUTUBE_SECRET_NAME: self.youtube_secret.name,
                env.ANALYSIS_CONFIG: self._config(),
                SECRETS_CACHE_SECONDS: str(self.platform.secrets_cache_seconds),
            },
            statements=[
                self._grant(
                    "ReadYouTubeKey", ["secretsmanager:GetSecretValue"], [self.youtube_secret.arn]
                ),
                self._grant(
                    "Snapshots",
                    ["dynamodb:Query", "dynamodb:BatchWriteItem"],
                    [self.video_metadata.arn],
                ),
                self._grant("Rankings", ["dynamodb:BatchWriteItem"], [self.trend_analytics.arn]),
                self._grant(
                    "QuotaCounter", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [self.state.arn]
                ),
            ],
        )

    def _api_access(self) -> FunctionAccess:
        """The configuration API: read and add versions (never rewrite one: PutItem is
        conditional on a new version), read the latest rankings for the page."""
        return FunctionAccess(
            environment={
                env.CONFIG_TABLE: self.config.name,
                env.TREND_ANALYTICS_TABLE: self.trend_analytics.name,
                env.USER_POOL_CLIENT_ID: self.users.client_id,
            },
            statements=[
                self._grant(
                    "ConfigVersions",
                    ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                    [self.config.arn],
                ),
                self._grant("ReadRankings", ["dynamodb:Query"], [self.trend_analytics.arn]),
            ],
        )


SYSTEM = TrendsSystem
