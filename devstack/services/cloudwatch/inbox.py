"""Alarm notifications, delivered as CloudWatch delivers them, and the local inbox.

A state change is published to each of the alarm's topics for that state (moto's SNS, so a
queue subscribed to the topic receives it as in AWS) with CloudWatch's message: the JSON
document SNS subscribers get (``AlarmName``, ``NewStateValue``, ``NewStateReason``,
``Trigger``, ...). moto sends no e-mail, so for each ``email`` or ``email-json`` subscription
of the topic the local stack writes the e-mail into the inbox instead: one JSON file per
notification and recipient (``to``, ``subject``, ``body``, ``message``: the document),
named so that a listing sorts by time. Subscriptions count as confirmed locally.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.loaders import create_loader

from devstack.services.cloudwatch.alarms import Alarm, Evaluation
from devstack.services.outputs import ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

EMAIL_PROTOCOLS = ("email", "email-json")
# SNS refuses a longer subject.
MAX_SUBJECT = 100


def region_name(region: str) -> str:
    """The region's name as CloudWatch's notifications give it ("Europe (Stockholm)")."""
    for partition in create_loader().load_data("endpoints")["partitions"]:
        if region in partition["regions"]:
            return str(partition["regions"][region].get("description", region))
    return region


def _timestamp(moment: datetime) -> str:
    """CloudWatch's format in notifications: ``2026-11-23T08:00:00.000+0000``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _dimensions(items: list[dict[str, str]] | None) -> list[dict[str, str]]:
    return [{"value": d["Value"], "name": d["Name"]} for d in items or []]


def _trigger(described: dict[str, Any]) -> dict[str, Any]:
    common = {
        "Period": described.get("Period"),
        "EvaluationPeriods": described.get("EvaluationPeriods"),
        "DatapointsToAlarm": described.get("DatapointsToAlarm")
        or described.get("EvaluationPeriods"),
        "ComparisonOperator": described.get("ComparisonOperator"),
        "Threshold": described.get("Threshold"),
        "TreatMissingData": described.get("TreatMissingData"),
        "EvaluateLowSampleCountPercentile": described.get("EvaluateLowSampleCountPercentile", ""),
    }
    if described.get("Metrics"):
        metrics = []
        for query in described["Metrics"]:
            entry = {k: v for k, v in query.items() if k != "MetricStat"}
            if "MetricStat" in query:
                stat = query["MetricStat"]
                metric = {
                    **stat["Metric"],
                    "Dimensions": _dimensions(stat["Metric"].get("Dimensions")),
                }
                entry["MetricStat"] = {**stat, "Metric": metric}
            metrics.append(entry)
        return {**common, "Metrics": metrics}
    extended = described.get("ExtendedStatistic")
    return {
        "MetricName": described.get("MetricName"),
        "Namespace": described.get("Namespace"),
        "StatisticType": "ExtendedStatistic" if extended else "Statistic",
        "Statistic": extended or str(described.get("Statistic", "")).upper(),
        "Unit": described.get("Unit"),
        "Dimensions": _dimensions(described.get("Dimensions")),
        **common,
    }


def alarm_message(
    alarm: Alarm, old_state: str, new: Evaluation, region: str, at: datetime
) -> dict[str, Any]:
    """What CloudWatch publishes to the alarm's topic on a state change."""
    described = alarm.described
    updated = described.get("AlarmConfigurationUpdatedTimestamp")
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": described.get("AlarmDescription"),
        "AWSAccountId": ACCOUNT_ID,
        "AlarmConfigurationUpdatedTimestamp": (
            _timestamp(updated) if isinstance(updated, datetime) else None
        ),
        "NewStateValue": new.state,
        "NewStateReason": new.reason,
        "StateChangeTime": _timestamp(at),
        "Region": region_name(region),
        "AlarmArn": described.get("AlarmArn"),
        "OldStateValue": old_state,
        "OKActions": list(described.get("OKActions") or []),
        "AlarmActions": list(described.get("AlarmActions") or []),
        "InsufficientDataActions": list(described.get("InsufficientDataActions") or []),
        "Trigger": _trigger(described),
    }


def subject(message: dict[str, Any]) -> str:
    """``ALARM: "<alarm>" in Europe (Stockholm)``, cut to SNS's limit."""
    text = f'{message["NewStateValue"]}: "{message["AlarmName"]}" in {message["Region"]}'
    return text[:MAX_SUBJECT]


def email_body(message: dict[str, Any]) -> str:
    """The text of CloudWatch's alarm e-mail."""
    return (
        f'You are receiving this email because your Amazon CloudWatch Alarm "'
        f'{message["AlarmName"]}" in the {message["Region"]} region has entered the '
        f'{message["NewStateValue"]} state, because "{message["NewStateReason"]}" at '
        f'"{message["StateChangeTime"]}".\n\n'
        "Alarm Details:\n"
        f"- Name:                       {message['AlarmName']}\n"
        f"- Description:                {message['AlarmDescription']}\n"
        f"- State Change:               {message['OldStateValue']} -> "
        f"{message['NewStateValue']}\n"
        f"- Reason for State Change:    {message['NewStateReason']}\n"
        f"- Timestamp:                  {message['StateChangeTime']}\n"
        f"- AWS Account:                {message['AWSAccountId']}\n"
        f"- Alarm Arn:                  {message['AlarmArn']}\n"
    )


@dataclass
class Inbox:
    """Where the local stack's e-mail goes: ``directory``, one JSON file per e-mail."""

    directory: Path
    sns: SNSClient

    def deliver(self, topic_arn: str, message: dict[str, Any], at: datetime) -> list[Path]:
        """Publish ``message`` to the topic and write an e-mail for each of its e-mail
        subscribers; returns the files written."""
        text = json.dumps(message)
        title = subject(message)
        self.sns.publish(TopicArn=topic_arn, Subject=title, Message=text)
        subscriptions = self.sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
        written = []
        for subscription in subscriptions:
            if subscription["Protocol"] not in EMAIL_PROTOCOLS:
                continue
            body = text if subscription["Protocol"] == "email-json" else email_body(message)
            email = {
                "to": subscription["Endpoint"],
                "subject": title,
                "body": body,
                "message": message,
                "topic_arn": topic_arn,
                "sent_at": at.isoformat(),
            }
            name = f"{at:%Y%m%dT%H%M%S%f}Z-{message['AlarmName']}-{message['NewStateValue']}"
            written.append(self._write(f"{name}-{subscription['Endpoint']}.json", email))
        return written

    def _write(self, name: str, email: dict[str, Any]) -> Path:
        """Whole or not at all: a reader listing the folder never sees half a file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(email, indent=2) + "\n")
        os.replace(partial, path)
        return path
