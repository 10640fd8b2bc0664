"""An EventBridge rule that puts the events matching its pattern on an SQS queue.

The queue is a ``QueueWithDlq`` (SSE-SQS, so EventBridge needs no key grant; its DLQ's
depth alarms). The rule's target keeps what EventBridge could not deliver in that same DLQ
after its retries, so an event is never dropped silently. Both queues' policies let exactly
this rule send (``aws:SourceArn``, which EventBridge sends with deliveries to a queue and to
a target's DLQ). A queue nobody consumes (events an operator reads) can alarm as soon as it
holds a message (``waiting_alarm``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.alarms import messages_waiting_alarm
from infra.components.queue import QueueWithDlq, QueueWithDlqArgs
from infra.settings import QueueSettings

# EventBridge's own maximums: a day of retries, 185 attempts.
MAX_EVENT_AGE_SECONDS = 86_400
MAX_RETRY_ATTEMPTS = 185


@dataclass
class EventQueueArgs:
    rule_name: str
    description: str
    # The event pattern as a dict; values may be outputs (a state machine's ARN).
    event_pattern: Mapping[str, Any]
    queue_name: str
    dlq_name: str
    settings: QueueSettings
    alarm_topic_arn: pulumi.Input[str]
    tags: dict[str, str]
    protect: bool
    # Set for a queue nobody consumes: an alarm (with this description) on any message.
    waiting_alarm: str | None = None


class EventQueue(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: EventQueueArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:messaging:EventQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.queue = QueueWithDlq(
            f"{name}-queue",
            QueueWithDlqArgs(
                queue_name=args.queue_name,
                dlq_name=args.dlq_name,
                settings=args.settings,
                alarm_topic_arn=args.alarm_topic_arn,
                tags=args.tags,
                protect=args.protect,
            ),
            opts=child,
        )
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=args.rule_name,
            description=args.description,
            event_pattern=pulumi.Output.json_dumps(dict(args.event_pattern)),
            tags=args.tags,
            opts=child,
        )
        policies = [
            self._allow_rule(f"{name}-queue-policy", self.queue.url, self.queue.arn),
            self._allow_rule(f"{name}-dlq-policy", self.queue.dlq.url, self.queue.dlq.arn),
        ]
        self.target = aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.rule.name,
            arn=self.queue.arn,
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                maximum_retry_attempts=MAX_RETRY_ATTEMPTS,
            ),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(
                arn=self.queue.dlq.arn
            ),
            # A target put before its queue's policy would fail its first deliveries.
            opts=pulumi.ResourceOptions(parent=self, depends_on=policies),
        )
        self.waiting_alarm = (
            messages_waiting_alarm(
                f"{name}-waiting",
                queue_name=args.queue_name,
                queue_name_output=self.queue.queue.name,
                description=args.waiting_alarm,
                topic_arn=args.alarm_topic_arn,
                tags=args.tags,
                parent=self,
            )
            if args.waiting_alarm
            else None
        )
        self.arn = self.queue.arn
        self.url = self.queue.url
        self.register_outputs(
            {"rule_arn": self.rule.arn, "arn": self.arn, "dlq_arn": self.queue.dlq.arn}
        )

    def _allow_rule(
        self, name: str, url: pulumi.Output[str], arn: pulumi.Output[str]
    ) -> aws.sqs.QueuePolicy:
        return aws.sqs.QueuePolicy(
            name,
            queue_url=url,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "RuleSendsItsEvents",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": self.rule.arn}},
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
