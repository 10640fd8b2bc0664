"""comms (seed 004): company-data table, per-channel queues with DLQs, the OpenAI secret,
and the comms Chalice app (the channel router API, the channel processors, Twilio's status
callback and SendGrid's Event Webhook), with the sent-but-not-recorded alarm on each
processor."""

from __future__ import annotations

import pulumi

from chalicelib.comms import env, names
from infra.components.alarms import LogMarkerAlarm, LogMarkerAlarmArgs
from infra.components.function import FunctionAccess
from infra.components.queue import QueueWithDlq
from infra.components.system import AppRoutes, FleetSystem, SystemArgs
from infra.systems.comms.settings import CommsSettings
from shared.env import API_URL, SECRETS_CACHE_SECONDS
from shared.names import physical

# Every channel has a processor, by its logical id in the package.
PROCESSORS = {"whatsapp": "WhatsappProcessor", "sms": "SmsProcessor", "email": "EmailProcessor"}
# The channels Twilio carries: the API handler verifies their status callbacks with the
# credentials secret (SendGrid's events are verified with a key in the company config).
TWILIO_CHANNELS = ("whatsapp", "sms")


def secret_name_prefix_arn(secret_arn: pulumi.Output[str], prefix: str) -> pulumi.Output[str]:
    """``arn:aws:secretsmanager:<region>:<account>:secret:<prefix>*`` from a secret in the same
    account and region. Channel credentials are data (one secret per company and project,
    created by operators), so they can only be granted by name prefix."""
    return secret_arn.apply(lambda arn: f"{arn.split(':secret:')[0]}:secret:{prefix}*")


def this_stacks_secrets(stack: str) -> dict[str, dict[str, str]]:
    """The condition that keeps a name-prefix grant inside one stack: a channel's credential
    secrets carry the tag ``stack=<stack>`` (operators set it, runbook), so a dev function
    cannot read prod's even when both stacks share an account."""
    return {"StringEquals": {"secretsmanager:ResourceTag/stack": stack}}


class CommsSystem(FleetSystem[CommsSettings]):
    system = "comms"
    type_token = "fleet:comms:CommsSystem"
    settings_model = CommsSettings
    alerts_topic = names.COMMS_ALERTS_TOPIC

    def __init__(
        self, name: str, args: SystemArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, args, opts)
        settings = self.settings
        self.company_data = self.table("company-data", names.COMPANY_DATA_TABLE)
        self.channel_queues: dict[str, QueueWithDlq] = {
            channel: self.queue(
                channel,
                names.channel_queue(channel),
                names.channel_dlq(channel),
                settings.channel_queue,
            )
            for channel in names.CHANNELS
        }
        self.conversations = self.table("conversations", names.CONVERSATIONS_TABLE)
        self.openai_secret = self.operator_secret(
            "openai-key",
            names.OPENAI_SECRET,
            'OpenAI API key for the channel processors: {"ai_api_key": "sk-..."}',
        )
        router = FunctionAccess(
            environment={
                env.COMPANY_DATA_TABLE: self.company_data.name,
                env.CHANNEL_QUEUE_URLS: pulumi.Output.json_dumps(
                    {channel: queue.url for channel, queue in self.channel_queues.items()}
                ),
                env.CONFIG_CACHE_SECONDS: str(settings.config_cache_seconds),
                env.CONVERSATIONS_TABLE: self.conversations.name,
                SECRETS_CACHE_SECONDS: str(self.platform.secrets_cache_seconds),
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
                        for channel in TWILIO_CHANNELS
                    ],
                    "Condition": this_stacks_secrets(self.stack),
                },
            ],
        )
        self.app = self.chalice_app(
            {"APIHandler": router}
            | {
                logical_id: self._processor_access(channel)
                for channel, logical_id in PROCESSORS.items()
            },
            routes=AppRoutes(
                api_name=f"{names.COMMS_API}-{self.stack}-api",
                keyless_paths={
                    names.TWILIO_STATUS_PATH: "Twilio cannot send an API key; the route "
                    "verifies X-Twilio-Signature with the account's auth token instead",
                    names.SENDGRID_EVENTS_PATH: "SendGrid's Event Webhook cannot send an API "
                    "key; the route verifies its ECDSA signature with the company's "
                    "verification key instead, and refuses a stale timestamp",
                },
            ),
            queues={channel: self.channel_queues[channel] for channel in PROCESSORS},
            api_url_variable=API_URL,
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
                    alarm_name=physical(f"{channel}-final-db-update-failed", self.stack),
                    description=f"A {channel} message was sent but its conversation record was "
                    "not updated: fix the record by hand (runbook), never resend.",
                    topic_arn=self.alerts.arn,
                    tags=self.tags,
                ),
                opts=self.child,
            )
        self.exports["company_data_table"] = self.company_data.name
        self.exports["comms_queue_urls"] = {
            channel: queue.url for channel, queue in self.channel_queues.items()
        }
        self.finish()

    def _processor_access(self, channel: str) -> FunctionAccess:
        queue = self.channel_queues[channel]
        return FunctionAccess(
            environment={
                env.CONVERSATIONS_TABLE: self.conversations.name,
                env.QUEUE_URL: queue.url,
                env.DLQ_URL: queue.dlq.url,
                env.VISIBILITY_TIMEOUT_SECONDS: str(queue.visibility_timeout_seconds),
                env.HEARTBEAT_INTERVAL_SECONDS: str(self.settings.heartbeat_interval_seconds),
                env.OPENAI_SECRET_NAME: self.openai_secret.name,
                SECRETS_CACHE_SECONDS: str(self.platform.secrets_cache_seconds),
            },
            statements=[
                {
                    "Sid": "HeartbeatOwnMessages",
                    "Action": ["sqs:ChangeMessageVisibility"],
                    "Resource": [queue.arn],
                },
                {
                    # A poison message goes to the DLQ at once (chalicelib/comms/poison.py).
                    "Sid": "DeadLetterPoisonMessages",
                    "Action": ["sqs:SendMessage"],
                    "Resource": [queue.dlq.arn],
                },
                {
                    "Sid": "WriteConversations",
                    "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
                    "Resource": [self.conversations.arn],
                },
                {
                    "Sid": "ReadOpenAIKey",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [self.openai_secret.arn],
                },
                {
                    "Sid": "ReadCredentials",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [
                        secret_name_prefix_arn(self.openai_secret.arn, f"{channel}-credentials/")
                    ],
                    "Condition": this_stacks_secrets(self.stack),
                },
            ],
        )


SYSTEM = CommsSystem
