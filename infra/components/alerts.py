"""An SNS topic that alarms notify, with the stack's alarm e-mail subscribed."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass
class AlertTopicArgs:
    topic_name: str
    email: str
    tags: dict[str, str]


class AlertTopic(pulumi.ComponentResource):
    """Encrypted topic (AWS-managed SNS key) plus one e-mail subscription.

    The subscriber has to confirm the e-mail AWS sends; until then alarms reach no one, which
    the runbook says.
    """

    def __init__(
        self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:alerts:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            kms_master_key_id="alias/aws/sns",
            tags=args.tags,
            opts=child,
        )
        self.subscription = aws.sns.TopicSubscription(
            f"{name}-email",
            topic=self.topic.arn,
            protocol="email",
            endpoint=args.email,
            opts=child,
        )
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})
