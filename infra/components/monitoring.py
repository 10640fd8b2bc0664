"""What a system's monitoring is declared with: ``Watch`` (where its alarms notify, how they
are tagged, under which component) and the system's one dashboard. ``FleetSystem`` makes
both, so every system's ``infra/systems/<system>/monitoring.py`` declares its own alarms and
dashboard body the same way: functions given the system's ``Watch``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Watch:
    """Where the monitoring resources go: the stack, its tags, the alerts topic, whether
    the stack protects its data, and the parent component."""

    stack: str
    tags: dict[str, str]
    topic_arn: pulumi.Input[str]
    protect: bool
    parent: pulumi.Resource


def system_dashboard(
    name: str, dashboard_name: str, body: pulumi.Output[dict[str, Any]], watch: Watch
) -> aws.cloudwatch.Dashboard:
    """A system's dashboard, its body (CloudWatch's widget JSON) once its names resolve."""
    return aws.cloudwatch.Dashboard(
        name,
        dashboard_name=dashboard_name,
        dashboard_body=body.apply(json.dumps),
        opts=pulumi.ResourceOptions(parent=watch.parent),
    )
