"""Where a system keeps the events it could not process: one queue per system, fed by
EventBridge (a target it could not invoke) and by Lambda (an asynchronous invocation whose
retries are spent), with a depth alarm, since each message is work nobody did."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components.alarms import messages_waiting_alarm

# As long as SQS keeps anything: an operator has two weeks to look.
RETENTION_SECONDS = 14 * 86_400


@dataclass
class FailedEventsArgs:
    queue_name: str
    alarm_topic_arn: pulumi.Input[str]
    tags: dict[str, str]
    protect: bool


class FailedEventsQueue(pulumi.ComponentResource):
    """SSE-SQS queue (EventBridge and Lambda can send to it without a key grant), its depth
    alarm, and a queue policy letting exactly the rules registered with ``allow_rule`` send
    (call ``seal`` once they are)."""

    def __init__(
        self, name: str, args: FailedEventsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:messaging:FailedEventsQueue", name, None, opts)
        self._name = name
        self._rules: list[pulumi.Output[str]] = []
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=args.queue_name,
            message_retention_seconds=RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.alarm = messages_waiting_alarm(
            f"{name}-depth",
            queue_name=args.queue_name,
            queue_name_output=self.queue.name,
            description=f"Events in {args.queue_name}: a schedule's run failed after its "
            "retries, or could not be delivered. Each message says why (runbook).",
            topic_arn=args.alarm_topic_arn,
            tags=args.tags,
            parent=self,
        )
        self.arn = self.queue.arn
        self.url = self.queue.url

    def allow_rule(self, rule_arn: pulumi.Output[str]) -> None:
        """Let one EventBridge rule put the events it could not deliver here."""
        self._rules.append(rule_arn)

    def seal(self) -> None:
        """Declare the queue policy for every rule registered (none: no policy needed)."""
        if self._rules:
            aws.sqs.QueuePolicy(
                f"{self._name}-policy",
                queue_url=self.queue.url,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "RulesKeepUndeliveredEvents",
                                "Effect": "Allow",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "sqs:SendMessage",
                                "Resource": self.queue.arn,
                                # EventBridge's DLQ delivery does carry the rule's ARN.
                                "Condition": {"ArnEquals": {"aws:SourceArn": self._rules}},
                            }
                        ],
                    }
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"arn": self.arn})
