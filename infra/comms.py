"""comms (seed 004): company-data table, per-channel queues with DLQs and alarms, the alert
topic, and the comms Chalice app (the channel router API)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.components.alarms import LogMarkerAlarm, LogMarkerAlarmArgs, function_errors_alarm
from infra.components.alerts import AlertTopic, AlertTopicArgs
from infra.components.chalice_app import ChaliceApp, ChaliceAppArgs
from infra.components.chalice_package import ChalicePackage
from infra.components.function import FunctionAccess
from infra.components.queue import QueueWithDlq, QueueWithDlqArgs
from infra.components.secrets import operator_secret
from infra.components.table import Index, Table, TableArgs
from infra.components.tags import fleet_tags
from infra.settings import StackSettings
from shared import env, names
from shared.names import physical

SYSTEM = "comms"
# The channels that have a processor (email is routed and queued, not yet processed).
PROCESSORS = {"whatsapp": "WhatsappProcessor", "sms": "SmsProcessor"}


def secret_name_prefix_arn(secret_arn: pulumi.Output[str], prefix: str) -> pulumi.Output[str]:
    """``arn:aws:secretsmanager:<region>:<account>:secret:<prefix>*`` from a secret in the same
    account and region. Channel credentials are data (one secret per company and project,
    created by operators), so they can only be granted by name prefix."""
    return secret_arn.apply(lambda arn: f"{arn.split(':secret:')[0]}:secret:{prefix}*")


@dataclass
class CommsArgs:
    settings: StackSettings
    package: ChalicePackage


class CommsSystem(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: CommsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:comms:CommsSystem", name, None, opts)
        settings = args.settings
        stack = settings.stack
        tags = fleet_tags(stack, SYSTEM)
        child = pulumi.ResourceOptions(parent=self)

        self.alerts = AlertTopic(
            f"{name}-alerts",
            AlertTopicArgs(
                topic_name=physical(names.COMMS_ALERTS_TOPIC, stack),
                email=str(settings.alarm_email),
                tags=tags,
            ),
            opts=child,
        )
        self.company_data = Table(
            f"{name}-company-data",
            TableArgs(
                table_name=physical(names.COMPANY_DATA_TABLE, stack),
                hash_key="company_id",
                range_key="project_id",
                attributes={"company_id": "S", "project_id": "S"},
                tags=tags,
                protect=settings.protect_data,
            ),
            opts=child,
        )
        self.channel_queues: dict[str, QueueWithDlq] = {
            channel: QueueWithDlq(
                f"{name}-{channel}",
                QueueWithDlqArgs(
                    queue_name=physical(names.channel_queue(channel), stack),
                    dlq_name=physical(names.channel_dlq(channel), stack),
                    settings=settings.channel_queue,
                    alarm_topic_arn=self.alerts.arn,
                    tags=tags,
                    protect=settings.protect_data,
                ),
                opts=child,
            )
            for channel in names.CHANNELS
        }
        self.conversations = Table(
            f"{name}-conversations",
            TableArgs(
                table_name=physical(names.CONVERSATIONS_TABLE, stack),
                hash_key="primary_channel",
                range_key="conversation_id",
                attributes={
                    "primary_channel": "S",
                    "conversation_id": "S",
                    "company_id": "S",
                    "project_id": "S",
                    "created_at": "S",
                    "task_complete": "N",
                    "conversation_status": "S",
                    "channel_method": "S",
                },
                global_indexes=[Index("company-id-project-id-index", "company_id", "project_id")],
                local_indexes=[
                    Index("created-at-index", "primary_channel", "created_at"),
                    Index("task-complete-index", "primary_channel", "task_complete"),
                    Index("conversation-status-index", "primary_channel", "conversation_status"),
                    Index("channel-method-index", "primary_channel", "channel_method"),
                ],
                tags=tags,
                protect=settings.protect_data,
            ),
            opts=child,
        )
        self.openai_secret = operator_secret(
            f"{name}-openai-key",
            name=physical(names.OPENAI_SECRET, stack),
            holds='OpenAI API key for the channel processors: {"ai_api_key": "sk-..."}',
            tags=tags,
            protect=settings.protect_data,
            parent=self,
        )
        router = FunctionAccess(
            environment={
                env.COMPANY_DATA_TABLE: self.company_data.name,
                env.CHANNEL_QUEUE_URLS: pulumi.Output.json_dumps(
                    {channel: queue.url for channel, queue in self.channel_queues.items()}
                ),
                env.CONFIG_CACHE_SECONDS: str(settings.config_cache_seconds),
                env.CONVERSATIONS_TABLE: self.conversations.name,
                env.SECRETS_CACHE_SECONDS: str(settings.secrets_cache_seconds),
            },
            statements=[
                {
                    "Sid": "ReadCompanyConfig",
                    "Action": ["dynamodb:GetItem"],
                    "Resource": [self.company_data.arn],
                },
                {
                    "Sid": "QueueConversations",
                    "Action": ["sqs:SendMessage"],
                    "Resource": [queue.arn for queue in self.channel_queues.values()],
                },
                {
                    "Sid": "RecordDeliveryStatus",
                    "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                    "Resource": [self.conversations.arn],
                },
                {
                    "Sid": "VerifyTwilioSignatures",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [
                        secret_name_prefix_arn(self.openai_secret.arn, f"{channel}-credentials/")
                        for channel in PROCESSORS
                    ],
                },
            ],
        )
        self.app = ChaliceApp(
            f"{name}-app",
            ChaliceAppArgs(
                package=args.package,
                settings=settings,
                tags=tags,
                access={"APIHandler": router}
                | {
                    logical_id: self._processor_access(channel, settings)
                    for channel, logical_id in PROCESSORS.items()
                },
                api_name=f"{names.COMMS_API}-{stack}-api",
                queues={channel: self.channel_queues[channel] for channel in PROCESSORS},
                api_url_variable=env.API_URL,
                keyless_paths={
                    names.TWILIO_STATUS_PATH: "Twilio cannot send an API key; the route "
                    "verifies X-Twilio-Signature with the account's auth token instead",
                },
            ),
            opts=child,
        )
        for channel, logical_id in PROCESSORS.items():
            function = self.app.functions[logical_id]
            LogMarkerAlarm(
                f"{name}-{channel}-final-update-failed",
                LogMarkerAlarmArgs(
                    log_group_name=function.log_group.name,
                    marker=names.FINAL_UPDATE_FAILED_MARKER,
                    namespace=names.COMMS_METRICS_NAMESPACE,
                    metric_name=f"{logical_id}FinalDbUpdateFailureCount",
                    alarm_name=physical(f"{channel}-final-db-update-failed", stack),
                    description=f"A {channel} message was sent but its conversation record was "
                    "not updated: fix the record by hand (runbook), never resend.",
                    topic_arn=self.alerts.arn,
                    tags=tags,
                ),
                opts=child,
            )
            function_errors_alarm(
                f"{name}-{channel}-processor", function.function.name, self.alerts.arn, tags, self
            )
        if self.app.api is None:
            raise ValueError("the comms package has no routes: rebuild it with `make package`")
        self.api_url = self.app.api.url
        self.api_key_id = self.app.api.api_key.id
        self.register_outputs({"api_url": self.api_url})

    def _processor_access(self, channel: str, settings: StackSettings) -> FunctionAccess:
        queue = self.channel_queues[channel]
        return FunctionAccess(
            environment={
                env.CONVERSATIONS_TABLE: self.conversations.name,
                env.QUEUE_URL: queue.url,
                env.VISIBILITY_TIMEOUT_SECONDS: str(queue.visibility_timeout_seconds),
                env.HEARTBEAT_INTERVAL_SECONDS: str(settings.heartbeat_interval_seconds),
                env.OPENAI_SECRET_NAME: self.openai_secret.name,
                env.SECRETS_CACHE_SECONDS: str(settings.secrets_cache_seconds),
            },
            statements=[
                {
                    "Sid": "HeartbeatOwnMessages",
                    "Action": ["sqs:ChangeMessageVisibility"],
                    "Resource": [queue.arn],
                },
                {
                    "Sid": "WriteConversations",
                    "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
                    "Resource": [self.conversations.arn],
                },
                {
                    "Sid": "ReadCredentials",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [
                        self.openai_secret.arn,
                        secret_name_prefix_arn(self.openai_secret.arn, f"{channel}-credentials/"),
                    ],
                },
            ],
        )
