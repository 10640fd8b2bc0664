"""An SNS topic that alarms notify, with the stack's alarm e-mail subscribed, encrypted with
a key its publishers can use.

AWS's managed key ``alias/aws/sns`` cannot be used here: its key policy does not let
CloudWatch (or EventBridge) use it, so every alarm would publish into nothing. Each topic
gets a customer-managed key (rotation on) whose policy lets the account administer it and
the publishing services encrypt with it: CloudWatch scoped to this account's alarms
(``aws:SourceAccount`` and ``aws:SourceArn``, which CloudWatch sends), EventBridge without
such a condition, since AWS documents that its deliveries carry neither and a condition would
silently drop every event; AWS Budgets scoped to this account's budgets.

The topic's own policy lets the same services publish, with the same conditions, and the
account's principals use the topic as SNS's default policy lets them (a topic policy
replaces that default, so it is restated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# What a publishing service needs of the topic's key to put an encrypted message on it.
PUBLISHER_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]
# What SNS's default topic policy lets the account's own principals do.
ACCOUNT_TOPIC_ACTIONS = [
    "SNS:AddPermission",
    "SNS:DeleteTopic",
    "SNS:GetTopicAttributes",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
    "SNS:RemovePermission",
    "SNS:SetTopicAttributes",
    "SNS:Subscribe",
]


@dataclass(frozen=True)
class Publisher:
    """A service that publishes alerts. ``source_arn`` (``{region}`` and ``{account}``
    filled in) scopes it to this account's resources; None for a service whose deliveries
    carry no source, where a condition would drop every message."""

    sid: str
    service: str
    source_arn: str | None


PUBLISHERS = (
    Publisher(
        "CloudWatchAlarmsPublish",
        "cloudwatch.amazonaws.com",
        "arn:aws:cloudwatch:{region}:{account}:alarm:*",
    ),
    Publisher("EventBridgePublishes", "events.amazonaws.com", None),
    # Budgets are global: their ARNs have no region.
    Publisher("BudgetsPublish", "budgets.amazonaws.com", "arn:aws:budgets::{account}:*"),
)


@dataclass
class AlertTopicArgs:
    topic_name: str
    email: str
    region: str
    tags: dict[str, str]


def _publisher_statement(
    publisher: Publisher, account_id: str, region: str, actions: list[str], resource: str
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": publisher.sid,
        "Effect": "Allow",
        "Principal": {"Service": publisher.service},
        "Action": actions,
        "Resource": resource,
    }
    if publisher.source_arn is not None:
        statement["Condition"] = {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {
                "aws:SourceArn": publisher.source_arn.format(region=region, account=account_id)
            },
        }
    return statement


def alert_key_policy(account_id: str, region: str) -> dict[str, Any]:
    """The key policy: the account administers the key (IAM policies then apply, as with
    every key); each of ``PUBLISHERS`` may encrypt with it."""
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
            *(
                # in a key policy, "*" is this key
                _publisher_statement(p, account_id, region, PUBLISHER_KEY_ACTIONS, "*")
                for p in PUBLISHERS
            ),
        ],
    }


def alert_topic_policy(topic_arn: str, account_id: str, region: str) -> dict[str, Any]:
    """The topic policy: the account's principals as SNS's default policy allows, and each
    of ``PUBLISHERS`` may publish."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountUsesTheTopic",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": ACCOUNT_TOPIC_ACTIONS,
                "Resource": topic_arn,
            },
            *(
                _publisher_statement(p, account_id, region, ["SNS:Publish"], topic_arn)
                for p in PUBLISHERS
            ),
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
        self.policy = aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(self.topic.arn, account_id).apply(
                    lambda values: alert_topic_policy(values[0], values[1], args.region)
                )
            ),
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
