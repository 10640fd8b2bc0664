"""AWS Budgets' resource types: budgets with their limit, cost filters and notifications,
created in moto in the account the program runs in."""

from __future__ import annotations

from typing import Any

from devstack.services.base import Clients, LocalType
from devstack.services.outputs import ACCOUNT_ID, Created, with_name


def budget(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The budget with its limit, cost filters and notifications (each with its topic and
    e-mail subscribers), in the account the program runs in."""
    account = clients("sts").get_caller_identity()["Account"]
    request: dict[str, Any] = {
        "BudgetName": inputs["name"],
        "BudgetType": inputs["budgetType"],
        "TimeUnit": inputs["timeUnit"],
        "BudgetLimit": {"Amount": str(inputs["limitAmount"]), "Unit": inputs["limitUnit"]},
        "CostFilters": {f["name"]: f["values"] for f in inputs.get("costFilters") or []},
    }
    notifications = [
        {
            "Notification": {
                "NotificationType": n["notificationType"],
                "ComparisonOperator": n["comparisonOperator"],
                "Threshold": float(n["threshold"]),
                "ThresholdType": n["thresholdType"],
            },
            "Subscribers": [
                {"SubscriptionType": "SNS", "Address": arn}
                for arn in n.get("subscriberSnsTopicArns") or []
            ]
            + [
                {"SubscriptionType": "EMAIL", "Address": address}
                for address in n.get("subscriberEmailAddresses") or []
            ],
        }
        for n in inputs.get("notifications") or []
    ]
    clients("budgets").create_budget(
        AccountId=account, Budget=request, NotificationsWithSubscribers=notifications
    )
    arn = f"arn:aws:budgets::{account}:budget/{inputs['name']}"
    return f"{account}:{inputs['name']}", inputs | {"arn": arn, "accountId": account}


def budget_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:budgets::{ACCOUNT_ID}:budget/{outputs['name']}"
    return f"{ACCOUNT_ID}:{outputs['name']}", outputs | {"arn": arn, "accountId": ACCOUNT_ID}


TYPES = {
    "aws:budgets/budget:Budget": LocalType(offline=budget_outputs, create=budget),
}
