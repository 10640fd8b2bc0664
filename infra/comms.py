"""comms (seed 004): company-data table, per-channel queues with DLQs and alarms, the alert
topic, and the comms Chalice app (the channel router API)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.components.alerts import AlertTopic, AlertTopicArgs
from infra.components.chalice_app import ChaliceApp, ChaliceAppArgs
from infra.components.chalice_package import ChalicePackage
from infra.components.function import FunctionAccess
from infra.components.queue import QueueWithDlq, QueueWithDlqArgs
from infra.components.table import Table, TableArgs
from infra.components.tags import fleet_tags
from infra.settings import StackSettings
from shared import env, names
from shared.names import physical

SYSTEM = "comms"


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
        self.channel_queues = {
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
        router = FunctionAccess(
            environment={
                env.COMPANY_DATA_TABLE: self.company_data.name,
                env.CHANNEL_QUEUE_URLS: pulumi.Output.json_dumps(
                    {channel: queue.url for channel, queue in self.channel_queues.items()}
                ),
                env.CONFIG_CACHE_SECONDS: str(settings.config_cache_seconds),
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
            ],
        )
        self.app = ChaliceApp(
            f"{name}-app",
            ChaliceAppArgs(
                package=args.package,
                settings=settings,
                tags=tags,
                access={"APIHandler": router},
                api_name=f"{names.COMMS_API}-{stack}-api",
                queues={},
            ),
            opts=child,
        )
        if self.app.api is None:
            raise ValueError("the comms package has no routes: rebuild it with `make package`")
        self.api_url = self.app.api.url
        self.api_key_id = self.app.api.api_key.id
        self.register_outputs({"api_url": self.api_url})
