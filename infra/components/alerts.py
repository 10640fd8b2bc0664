"""An SNS topic that alarms notify, with the stack's alarm e-mail subscribed, encrypted with
a key its publishers can use.

AWS's managed key ``alias/aws/sns`` cannot be used here: its key policy does not let
CloudWatch (or EventBridge) use it, so every alarm would publish into nothing. Each topic
gets a customer-managed key (rotation on) whose policy lets the account administer it and
the publishing services encrypt with it: CloudWatch scoped to this account's alarms
(``aws:SourceAccount`` and ``aws:SourceArn``, which CloudWatch sends), EventBridge without
such a condition, since AWS documents that its deliveries carry neither and a condition would
silently drop every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# What a publishing service needs of the topic's key to put an encrypted message on it.
PUBLISHER_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]


@dataclass
class AlertTopicArgs:
    topic_name: str
    email: str
    region: str
    tags: dict[str, str]


def alert_key_policy(account_id: str, region: str) -> dict[str, Any]:
    """The key policy: the account administers the key (IAM policies then apply, as with
    every key); CloudWatch alarms of this account and EventBridge may encrypt with it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                # The account's own principals, through their IAM policies: AWS requires
                # this statement or the key becomes unmanageable.
                "Action": "kms:*",
                "Resource": "*",  # in a key policy, "*" is this key
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": PUBLISHER_KEY_ACTIONS,
                "Resource": "*",  # in a key policy, "*" is this key
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:*"
                    },
                },
            },
            {
                "Sid": "EventBridgePublishes",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": PUBLISHER_KEY_ACTIONS,
                "Resource": "*",  # in a key policy, "*" is this key
            },
        ],
    }


class AlertTopic(pulumi.ComponentResource):
    """Topic encrypted with its own key, plus one e-mail subscription.

    The subscriber has to confirm the e-mail AWS sends; until then alarms reach no one, which
    the runbook says.
    """

    def __init__(
        self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:alerts:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOptions(parent=self)
        ).account_id
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts {args.topic_name}; its alarms' publishers may use it.",
            enable_key_rotation=True,
            policy=pulumi.Output.json_dumps(
                account_id.apply(lambda account: alert_key_policy(account, args.region))
            ),
            tags=args.tags,
            opts=child,
        )
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            kms_master_key_id=self.key.arn,
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
        self.register_outputs({"arn": self.arn, "key_arn": self.key.arn})
