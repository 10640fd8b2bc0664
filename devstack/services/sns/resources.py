"""SNS's resource types: topics, their policies and subscriptions, created in moto (which
then delivers what is published; e-mail subscriptions need no confirmation locally, their
mail goes to the local inbox)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devstack.services.base import Clients, LocalType, tag_list
from devstack.services.outputs import ACCOUNT_ID, Created, with_name

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import SubscribeInputTypeDef


def topic(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    client: SNSClient = clients("sns")
    arn = client.create_topic(Name=inputs["name"], Tags=tag_list(inputs))["TopicArn"]
    return arn, {**inputs, "arn": arn}


def topic_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:sns:{region}:{ACCOUNT_ID}:{outputs['name']}"
    return arn, outputs | {"arn": arn}


def subscription(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """Subscribed as declared; e-mail subscriptions need no confirmation locally (their
    mail goes to the local inbox)."""
    client: SNSClient = clients("sns")
    request: SubscribeInputTypeDef = {
        "TopicArn": inputs["topic"],
        "Protocol": inputs["protocol"],
        "Endpoint": inputs["endpoint"],
        "ReturnSubscriptionArn": True,
    }
    attributes = {}
    if inputs.get("rawMessageDelivery"):
        attributes["RawMessageDelivery"] = "true"
    if inputs.get("filterPolicy"):
        attributes["FilterPolicy"] = inputs["filterPolicy"]
    if attributes:
        request["Attributes"] = attributes
    arn = client.subscribe(**request)["SubscriptionArn"]
    return arn, {**inputs, "arn": arn}


def topic_policy(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    clients("sns").set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=inputs["policy"]
    )
    return inputs["arn"], inputs


TYPES = {
    "aws:sns/topic:Topic": LocalType(offline=topic_outputs, create=topic),
    "aws:sns/topicSubscription:TopicSubscription": LocalType(create=subscription),
    "aws:sns/topicPolicy:TopicPolicy": LocalType(create=topic_policy),
}
