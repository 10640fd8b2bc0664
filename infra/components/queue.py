"""A work queue with its dead-letter queue and an alarm on the DLQ's depth."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components.alarms import messages_waiting_alarm
from infra.settings import QueueSettings

DAY_SECONDS = 86_400


@dataclass
class QueueWithDlqArgs:
    queue_name: str
    dlq_name: str
    settings: QueueSettings
    alarm_topic_arn: pulumi.Input[str]
    tags: dict[str, str]
    protect: bool


class QueueWithDlq(pulumi.ComponentResource):
    """SSE-encrypted queue whose messages move to the DLQ after ``max_receive_count``
    receives; any message in the DLQ raises an alarm, since each one is a lost piece of work
    until someone looks at it."""

    def __init__(
        self, name: str, args: QueueWithDlqArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:messaging:QueueWithDlq", name, None, opts)
        settings = args.settings
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        self.dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=args.dlq_name,
            message_retention_seconds=settings.dlq_retention_days * DAY_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=args.tags,
            opts=stateful,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=args.queue_name,
            visibility_timeout_seconds=settings.visibility_timeout_seconds,
            message_retention_seconds=settings.message_retention_days * DAY_SECONDS,
            sqs_managed_sse_enabled=True,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.dlq.arn, "maxReceiveCount": settings.max_receive_count}
            ),
            tags=args.tags,
            opts=stateful,
        )
        self.dlq_alarm = messages_waiting_alarm(
            f"{name}-dlq-depth",
            queue_name=args.dlq_name,
            queue_name_output=self.dlq.name,
            description=(
                f"Messages in {args.dlq_name}: work that failed {settings.max_receive_count} "
                "times and is waiting for an operator."
            ),
            topic_arn=args.alarm_topic_arn,
            tags=args.tags,
            parent=self,
        )
        self.arn = self.queue.arn
        self.url = self.queue.url
        self.visibility_timeout_seconds = settings.visibility_timeout_seconds
        self.register_outputs({"arn": self.arn, "url": self.url, "dlq_arn": self.dlq.arn})
