"""IAM for calling a Bedrock model by the id a setting names: a foundation model
(``luma.ray-v2:0``) or a cross-region inference profile (``global.amazon.nova-2-lite-v1:0``).

A profile is invoked through its ARN in this account and region, and Bedrock then runs the
foundation model behind it in any region the profile covers, so the foundation model's
region is a wildcard: AWS's documented policy for cross-region profiles."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.function import Statement

PROFILE_PREFIXES = ("global.", "eu.", "us.", "apac.", "us-gov.", "ca.", "jp.", "au.")


def model_arns(model_id: str, region: str, parent: pulumi.Resource) -> list[Any]:
    """The ARNs ``bedrock:InvokeModel`` needs for ``model_id``."""
    if not model_id.startswith(PROFILE_PREFIXES):
        return [f"arn:aws:bedrock:{region}::foundation-model/{model_id}"]
    base = model_id.split(".", 1)[1]
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=parent)).account_id
    profile = pulumi.Output.concat(
        "arn:aws:bedrock:", region, ":", account, ":inference-profile/", model_id
    )
    return [profile, f"arn:aws:bedrock:*::foundation-model/{base}"]


def invoke_model_statement(
    sid: str, model_id: str, region: str, parent: pulumi.Resource
) -> Statement:
    return {
        "Sid": sid,
        "Action": ["bedrock:InvokeModel"],
        "Resource": model_arns(model_id, region, parent),
    }
