"""trends part 2's resources around the state machine (seed 002 §4-8): the videos table, the
OAuth secret uploads use, the queue MediaConvert's job events come back through (an
``EventQueue``: its EventBridge rule), each task function's access, the state machine with
its role and logs, and its 2 AM New York schedule.

Least privilege: the state machine's role may invoke its nine functions and nothing else
(Bedrock, Polly and MediaConvert jobs are started by the functions, each allowed only its
own calls); MediaConvert's role reads and writes the videos bucket only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from chalicelib.trends import env, names
from chalicelib.trends.pipeline_config import PipelineConfig
from infra.components.bedrock_access import invoke_model_statement, model_arns
from infra.components.event_queue import EventQueue, EventQueueArgs
from infra.components.function import FunctionAccess, Statement, policy_document
from infra.components.scheduler import SchedulerSchedule, SchedulerScheduleArgs, TimedRun
from infra.settings import QueueSettings
from infra.systems.trends.pipeline import PipelineFunctions, pipeline_definition
from shared.env import SECRETS_CACHE_SECONDS
from shared.names import physical

if TYPE_CHECKING:
    from infra.components.chalice_app import ChaliceApp
    from infra.systems.trends.component import TrendsSystem

# Logical ids of the pipeline's functions (Chalice's CamelCase of app.py's names).
PLAN, SCRIPT, NARRATE = "PlanVideos", "WriteScript", "Narrate"
START_CLIPS, CHECK_CLIPS = "StartClips", "CheckClips"
START_RENDER, FINISH_RENDER, UPLOAD = "StartRender", "FinishRender", "UploadVideo"
FAIL, REPORT = "MarkVideoFailed", "ReportNight"
# The functions the state machine invokes, in ``PipelineFunctions``' order.
TASK_FUNCTIONS = (
    PLAN,
    SCRIPT,
    NARRATE,
    START_CLIPS,
    CHECK_CLIPS,
    START_RENDER,
    UPLOAD,
    FAIL,
    REPORT,
)
# The render events queue: a job's events are few; a consumer that keeps failing leaves
# them in the DLQ after five tries (its depth alarms).
RENDER_EVENTS = QueueSettings(
    visibility_timeout_seconds=180, max_receive_count=5, dlq_retention_days=14
)
WILDCARD_ONLY = "*"


class VideoPipeline:
    """Build with the system before its app (``access``), then ``declare`` after it."""

    def __init__(self, system: TrendsSystem) -> None:
        self.system = system
        self.settings = system.settings.video_pipeline
        self.videos = system.table("videos", names.VIDEOS_TABLE)
        self.oauth_secret = system.operator_secret(
            "youtube-oauth",
            names.YOUTUBE_OAUTH_SECRET,
            "YouTube OAuth2 credentials for uploads: "
            '{"client_id": "...", "client_secret": "...", "refresh_token": "..."}',
        )
        # MediaConvert's job state changes of this account's trends renders -> the queue
        # finish_render consumes (EventQueue: the rule, its retries into the DLQ, policies).
        self.render_rule = EventQueue(
            f"{system.name}-render-events",
            EventQueueArgs(
                rule_name=physical("trends-render-events", system.stack),
                description="MediaConvert job state changes of the video pipeline's renders",
                event_pattern={
                    "source": ["aws.mediaconvert"],
                    "detail-type": ["MediaConvert Job State Change"],
                    "detail": {
                        "status": ["COMPLETE", "ERROR", "CANCELED"],
                        "userMetadata": {"system": ["trends"]},
                    },
                },
                queue_name=physical(names.RENDER_EVENTS_QUEUE, system.stack),
                dlq_name=physical(names.RENDER_EVENTS_DLQ, system.stack),
                settings=RENDER_EVENTS,
                alarm_topic_arn=system.alerts.arn,
                tags=system.tags,
                protect=system.platform.protect_data,
            ),
            opts=system.child,
        )
        self.render_events = self.render_rule.queue
        self.account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=system)
        ).account_id
        region = system.platform.region
        self.machine_name = physical(names.PIPELINE_STATE_MACHINE, system.stack)
        self.machine_arn = pulumi.Output.concat(
            "arn:aws:states:", region, ":", self.account, ":stateMachine:", self.machine_name
        )

    # -- what each function is told and allowed ------------------------------------------

    def _config(self) -> str:
        s = self.settings
        return PipelineConfig(
            text_model_id=s.text_model_id,
            video_model_id=s.video_model_id,
            scene_seconds=s.scene_seconds,
            clip_attempts=s.clip_attempts,
            clip_poll_limit=s.clip_poll_limit,
            videos_per_night=s.videos_per_night,
            monthly_budget_usd=s.monthly_budget_usd,
            privacy_status=s.privacy_status,
            youtube_quota_units_per_day=self.system.settings.quota_units_per_day,
        ).model_dump_json(by_alias=True)

    def _environment(self) -> dict[str, pulumi.Input[str]]:
        system = self.system
        return {
            env.VIDEOS_TABLE: self.videos.name,
            env.STATE_TABLE: system.state.name,
            env.VIDEOS_BUCKET: system.videos_bucket.name,
            env.ALERTS_TOPIC_ARN: system.alerts.arn,
            env.PIPELINE_CONFIG: self._config(),
            env.MEDIACONVERT_ROLE_ARN: system.mediaconvert_role.arn,
        }

    def _objects(self, prefix: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(self.system.videos_bucket.arn, "/", prefix, "*")

    def _record(self) -> Statement:
        """A stage's output on the video and its cost on the month (one transaction); the
        state table also counts the YouTube quota the upload spends."""
        return {
            "Sid": "RecordStage",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            "Resource": [self.videos.arn, self.system.state.arn],
        }

    def _access(
        self,
        *statements: Statement,
        extra_environment: dict[str, pulumi.Input[str]] | None = None,
        reserved_concurrency: int | None = None,
    ) -> FunctionAccess:
        return FunctionAccess(
            environment={**self._environment(), **(extra_environment or {})},
            statements=list(statements),
            reserved_concurrency=reserved_concurrency,
        )

    def access(self) -> dict[str, FunctionAccess]:
        system, region = self.system, self.system.platform.region
        work, finals = self._objects("work/"), self._objects("videos/")
        bedrock_jobs = pulumi.Output.concat(
            "arn:aws:bedrock:", region, ":", self.account, ":async-invoke/*"
        )
        clip_jobs: list[Statement] = [
            {
                "Sid": "StartClipJobs",
                "Action": ["bedrock:InvokeModel"],
                "Resource": model_arns(self.settings.video_model_id, region, system),
            },
            {
                "Sid": "CheckClipJobs",
                "Action": ["bedrock:GetAsyncInvoke"],
                "Resource": [bedrock_jobs],
            },
            # Bedrock writes a job's clip with the caller's permissions.
            {"Sid": "ClipOutput", "Action": ["s3:PutObject"], "Resource": [work]},
        ]
        return {
            PLAN: self._access(
                {
                    "Sid": "ReadConfig",
                    "Action": ["dynamodb:Query"],
                    "Resource": [system.config.arn],
                },
                {
                    "Sid": "ReadRankings",
                    "Action": ["dynamodb:Query"],
                    "Resource": [system.trend_analytics.arn],
                },
                {
                    "Sid": "PlanVideos",
                    "Action": ["dynamodb:PutItem"],
                    "Resource": [self.videos.arn],
                },
                {
                    "Sid": "MonthSpend",
                    "Action": ["dynamodb:GetItem"],
                    "Resource": [system.state.arn],
                },
                extra_environment={
                    env.CONFIG_TABLE: system.config.name,
                    env.TREND_ANALYTICS_TABLE: system.trend_analytics.name,
                },
            ),
            SCRIPT: self._access(
                self._record(),
                invoke_model_statement("WriteScripts", self.settings.text_model_id, region, system),
                {"Sid": "KeepScript", "Action": ["s3:PutObject"], "Resource": [work]},
            ),
            NARRATE: self._access(
                self._record(),
                {"Sid": "Media", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [work]},
                {
                    "Sid": "Speak",
                    "Action": [
                        "polly:GetSpeechSynthesisTask",
                        "polly:StartSpeechSynthesisTask",
                        "polly:SynthesizeSpeech",
                    ],
                    "Resource": [WILDCARD_ONLY],
                },
            ),
            START_CLIPS: self._access(self._record(), *clip_jobs),
            CHECK_CLIPS: self._access(self._record(), *clip_jobs),
            START_RENDER: self._access(
                self._record(),
                {"Sid": "ReadScript", "Action": ["s3:GetObject"], "Resource": [work]},
                {
                    "Sid": "Render",
                    "Action": ["mediaconvert:CreateJob"],
                    "Resource": [
                        pulumi.Output.concat(
                            "arn:aws:mediaconvert:", region, ":", self.account, ":queues/Default"
                        )
                    ],
                },
                {
                    "Sid": "HandMediaConvertItsRole",
                    "Action": ["iam:PassRole"],
                    "Resource": [system.mediaconvert_role.arn],
                    "Condition": {
                        "StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}
                    },
                },
            ),
            FINISH_RENDER: self._access(
                self._record(),
                {
                    "Sid": "GiveBackTheToken",
                    "Action": ["states:SendTaskFailure", "states:SendTaskSuccess"],
                    "Resource": [self.machine_arn],
                },
            ),
            UPLOAD: self._access(
                self._record(),
                # The script (its title, description, tags) and the final video.
                {"Sid": "ReadVideo", "Action": ["s3:GetObject"], "Resource": [work, finals]},
                {
                    "Sid": "ReadOAuth",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [self.oauth_secret.arn],
                },
                extra_environment={
                    env.YOUTUBE_OAUTH_SECRET_NAME: self.oauth_secret.name,
                    SECRETS_CACHE_SECONDS: str(system.platform.secrets_cache_seconds),
                },
                reserved_concurrency=self.settings.upload_concurrency,
            ),
            FAIL: self._access(
                self._record(),
                {"Sid": "Notify", "Action": ["sns:Publish"], "Resource": [system.alerts.arn]},
                {
                    "Sid": "EncryptNotification",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": [system.alerts.key.arn],
                },
            ),
            # Report sums up the Map's results: it reads nothing but its input.
            REPORT: self._access(),
        }

    # -- after the app: the rule, the machine, the schedule -------------------------------

    def declare(self, app: ChaliceApp) -> None:
        arns = [app.functions[logical_id].arn for logical_id in TASK_FUNCTIONS]
        self.machine = self._state_machine(arns)
        failed = self.system.failed_events
        if failed is None:
            raise ValueError("trends' app has a timed run, so it has a failed-events queue")
        SchedulerSchedule(
            f"{self.system.name}-video-generation",
            SchedulerScheduleArgs(
                schedule_name=physical("trends-video-generation", self.system.stack),
                run=TimedRun(
                    key="video-generation",
                    expression=self.settings.generation_schedule,
                    timezone=self.system.settings.schedule_timezone,
                    description="Seed 002 §6.1: the nightly videos (New York time)",
                ),
                target_arn=self.machine.arn,
                target_kind="states",
                dead_letter_arn=failed.arn,
                retry=self.system.platform.failed_events,
                tags=self.system.tags,
            ),
            opts=self.system.child,
        )

    def _state_machine(self, arns: list[pulumi.Output[str]]) -> aws.sfn.StateMachine:
        system = self.system
        role = aws.iam.Role(
            f"{system.name}-pipeline-role",
            name=physical("trends-video-pipeline-states", system.stack),
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "states.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": self.account}},
                        }
                    ],
                }
            ),
            tags=system.tags,
            opts=system.child,
        )
        policy = aws.iam.RolePolicy(
            f"{system.name}-pipeline-policy",
            name=physical("trends-video-pipeline-states", system.stack),
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "InvokeItsFunctions",
                        "Action": ["lambda:InvokeFunction"],
                        "Resource": [
                            *arns,
                            *[pulumi.Output.concat(arn, ":*") for arn in arns],
                        ],
                    },
                    {
                        # Step Functions' log delivery APIs take no resource ARN (AWS's
                        # documented policy for a state machine's CloudWatch Logs).
                        "Sid": "DeliverLogs",
                        "Action": [
                            "logs:CreateLogDelivery",
                            "logs:DeleteLogDelivery",
                            "logs:DescribeLogGroups",
                            "logs:DescribeResourcePolicies",
                            "logs:GetLogDelivery",
                            "logs:ListLogDeliveries",
                            "logs:PutResourcePolicy",
                            "logs:UpdateLogDelivery",
                        ],
                        "Resource": [WILDCARD_ONLY],
                    },
                ]
            ),
            opts=system.child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{system.name}-pipeline-logs",
            name=f"/aws/vendedlogs/states/{self.machine_name}",
            retention_in_days=system.platform.log_retention_days,
            tags=system.tags,
            opts=system.child,
        )
        definition = pulumi.Output.all(*arns).apply(
            lambda resolved: json.dumps(
                pipeline_definition(PipelineFunctions(*resolved), self.settings)
            )
        )
        return aws.sfn.StateMachine(
            f"{system.name}-pipeline",
            name=self.machine_name,
            role_arn=role.arn,
            definition=definition,
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                level="ERROR",
                include_execution_data=True,
                log_destination=pulumi.Output.concat(log_group.arn, ":*"),
            ),
            tags=system.tags,
            opts=pulumi.ResourceOptions(parent=system, depends_on=[policy]),
        )
