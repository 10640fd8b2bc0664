"""patches (seed 001): the patches and discussions tables, the ingester's state table, the
message-bodies bucket, the thread and refresh-slice queues, and the patches Chalice app (the
read API, three schedules and two queue workers), with its own alarms (per-service error
rate, breaker open, no successful hourly run) and a dashboard."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from chalicelib.patches import env, names
from infra.components.bucket import PrivateBucket, PrivateBucketArgs
from infra.components.function import FunctionAccess, Statement
from infra.components.system import AppRoutes, FleetSystem, SystemArgs
from infra.systems.patches.monitoring import alarms, dashboard
from infra.systems.patches.settings import PatchesSettings
from shared.names import physical

API_HANDLER = "APIHandler"
RECENT = "FetchRecentPatches"
REFRESH = "RefreshPatches"
DISCUSSIONS = "RefreshDiscussions"
SLICE_WORKER = "RefreshSlice"
THREAD_WORKER = "RefreshThreads"
# A breaker trial is one call with its retries: 4 attempts x (5 s connect + 30 s read) plus
# backoff. A trial not settled by then is presumed dead and another caller may try.
BREAKER_TRIAL_SECONDS = 150


class PatchesSystem(FleetSystem[PatchesSettings]):
    system = "patches"
    type_token = "fleet:patches:PatchesSystem"
    settings_model = PatchesSettings
    alerts_topic = names.PATCHES_ALERTS_TOPIC

    def __init__(
        self, name: str, args: SystemArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, args, opts)
        settings = self.settings
        self.patches = self.table("patches", names.PATCHES_TABLE)
        self.discussions = self.table("discussions", names.DISCUSSIONS_TABLE)
        self.state = self.table("ingester-state", names.PATCHES_STATE_TABLE)
        self.bodies = PrivateBucket(
            f"{name}-message-bodies",
            PrivateBucketArgs(
                base_name=names.MESSAGE_BODIES_BUCKET,
                stack=self.stack,
                tags=self.tags,
                protect=self.platform.protect_data,
            ),
            opts=self.child,
        )
        self.threads = self.queue(
            "threads", names.THREAD_QUEUE_NAME, names.THREAD_DLQ_NAME, settings.thread_queue
        )
        self.slices = self.queue(
            "slices", names.SLICE_QUEUE_NAME, names.SLICE_DLQ_NAME, settings.slice_queue
        )
        fetcher = self._fetcher_access()
        self.app = self.chalice_app(
            {
                API_HANDLER: self._reader_access(),
                RECENT: fetcher,
                SLICE_WORKER: fetcher,
                REFRESH: self._planner_access(),
                DISCUSSIONS: self._discussions_access(),
                THREAD_WORKER: self._thread_worker_access(),
            },
            routes=AppRoutes(api_name=physical(names.PATCHES_API, self.stack)),
            queues={names.THREAD_QUEUE: self.threads, names.SLICE_QUEUE: self.slices},
            schedules={
                RECENT: settings.recent_schedule,
                REFRESH: settings.refresh_schedule,
                DISCUSSIONS: settings.discussion_schedule,
            },
        )
        if self.app.api is None:
            raise ValueError("the patches package has no routes: rebuild it with `make package`")
        alarms(name, self.watch, self.settings)
        functions = {
            logical_id: function.function.name
            for logical_id, function in self.app.functions.items()
        }
        self.declare_dashboard(
            pulumi.Output.all(
                functions=functions,
                api=self.app.api.api.name,
                threads=self.threads.queue.name,
                threads_dlq=self.threads.dlq.name,
                slices=self.slices.queue.name,
            ).apply(
                lambda n: dashboard(
                    self.stack,
                    self.platform.region,
                    n["functions"],
                    n["api"],
                    [n["threads"], n["threads_dlq"], n["slices"]],
                )
            )
        )
        self.exports.update(
            {
                "patches_table": self.patches.name,
                "discussions_table": self.discussions.name,
                "patches_thread_queue_url": self.threads.url,
                "patches_message_bodies_bucket": self.bodies.name,
            }
        )
        self.finish()

    def _config(self) -> str:
        """The ingester's settings, as ``chalicelib.patches.config.IngesterConfig`` reads
        them (camelCase)."""
        s = self.settings
        return json.dumps(
            {
                "firstRunLookbackHours": s.first_run_lookback_hours,
                "overlapMinutes": s.overlap_minutes,
                "refreshDays": s.refresh_days,
                "discussionRefreshDays": s.discussion_refresh_days,
                "activeStates": s.active_states,
                "pageSize": s.page_size,
                "patchworkRateLimit": s.patchwork_rate_limit,
                "loreRateLimit": s.lore_rate_limit,
                "loreInbox": s.lore_inbox,
                "breakerFailures": s.breaker_failures,
                "breakerCooldownSeconds": s.breaker_cooldown_seconds,
                "breakerTrialSeconds": BREAKER_TRIAL_SECONDS,
                "inlineBodyMaxBytes": s.inline_body_max_bytes,
            }
        )

    def _grant(self, sid: str, actions: list[str], resources: list[Any]) -> Statement:
        return {"Sid": sid, "Action": sorted(actions), "Resource": resources}

    def _breaker_grant(self) -> Statement:
        return self._grant(
            "SharedBreakerState", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [self.state.arn]
        )

    def _reader_access(self) -> FunctionAccess:
        return FunctionAccess(
            environment={
                env.PATCHES_TABLE: self.patches.name,
                env.DISCUSSIONS_TABLE: self.discussions.name,
                env.MESSAGE_BODIES_BUCKET: self.bodies.name,
                env.INGESTER_CONFIG: self._config(),
            },
            statements=[
                self._grant("ReadPatch", ["dynamodb:GetItem"], [self.patches.arn]),
                self._grant(
                    "QueryPatchIndexes",
                    ["dynamodb:Query"],
                    [
                        self.patches.index_arn(index.name)
                        for index in names.PATCHES_TABLE.global_indexes
                    ],
                ),
                self._grant(
                    "QueryThreads",
                    ["dynamodb:Query"],
                    [self.discussions.index_arn(names.THREAD_INDEX.name)],
                ),
            ],
        )

    def _fetcher_access(self) -> FunctionAccess:
        """The hourly run and the refresh-slice worker: read Patchwork, store patches, queue
        threads; the hourly run also moves its cursors (the state table's UpdateItem)."""
        return FunctionAccess(
            environment={
                env.PATCHES_TABLE: self.patches.name,
                env.STATE_TABLE: self.state.name,
                env.THREAD_QUEUE_URL: self.threads.url,
                env.PATCHWORK_PROJECTS: json.dumps(self.settings.projects),
                env.INGESTER_CONFIG: self._config(),
            },
            statements=[
                self._grant(
                    "StorePatches",
                    ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"],
                    [self.patches.arn],
                ),
                self._grant(
                    "CursorsAndBreaker",
                    ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                    [self.state.arn],
                ),
                self._grant("QueueThreads", ["sqs:SendMessage"], [self.threads.arn]),
            ],
        )

    def _planner_access(self) -> FunctionAccess:
        return FunctionAccess(
            environment={
                env.SLICE_QUEUE_URL: self.slices.url,
                env.PATCHWORK_PROJECTS: json.dumps(self.settings.projects),
                env.INGESTER_CONFIG: self._config(),
            },
            statements=[self._grant("QueueSlices", ["sqs:SendMessage"], [self.slices.arn])],
        )

    def _discussions_access(self) -> FunctionAccess:
        return FunctionAccess(
            environment={
                env.PATCHES_TABLE: self.patches.name,
                env.THREAD_QUEUE_URL: self.threads.url,
                env.INGESTER_CONFIG: self._config(),
            },
            statements=[
                self._grant(
                    "QueryPatchesByState",
                    ["dynamodb:Query"],
                    [self.patches.index_arn(names.STATUS_INDEX.name)],
                ),
                self._grant("QueueThreads", ["sqs:SendMessage"], [self.threads.arn]),
            ],
        )

    def _thread_worker_access(self) -> FunctionAccess:
        return FunctionAccess(
            environment={
                env.PATCHES_TABLE: self.patches.name,
                env.DISCUSSIONS_TABLE: self.discussions.name,
                env.STATE_TABLE: self.state.name,
                env.MESSAGE_BODIES_BUCKET: self.bodies.name,
                env.INGESTER_CONFIG: self._config(),
            },
            statements=[
                self._grant(
                    "StoreDiscussions",
                    ["dynamodb:BatchWriteItem"],
                    [self.discussions.arn],
                ),
                self._grant(
                    "ReadThreads",
                    ["dynamodb:Query"],
                    [self.discussions.index_arn(names.THREAD_INDEX.name)],
                ),
                # TransactWriteItems is authorised per item as UpdateItem.
                self._grant("LinkThreads", ["dynamodb:UpdateItem"], [self.patches.arn]),
                self._grant("StoreLargeBodies", ["s3:PutObject"], [self.bodies.objects_arn()]),
                self._breaker_grant(),
            ],
        )


SYSTEM = PatchesSystem
