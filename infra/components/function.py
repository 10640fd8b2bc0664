"""One Lambda function from a Chalice package, with its own role, policy and log group."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.chalice_package import PackagedHandler
from shared import env

Statement = dict[str, Any]
# The only statements (by Sid) whose resource may be "*", each because the actions take no
# resource ARN (AWS's Service Authorization Reference lists them with "*" only).
WILDCARD_RESOURCE_REASONS: dict[str, str] = {
    "Speak": "Polly's SynthesizeSpeech and speech synthesis tasks without lexicons",
    "DeliverLogs": "Step Functions' CloudWatch Logs delivery APIs",
}


@dataclass
class FunctionAccess:
    """What one handler is told (environment) and allowed (IAM statements, exact ARNs), and
    how many of it may run at once (reserved concurrency; None: the account's pool)."""

    environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    reserved_concurrency: int | None = None


@dataclass
class PackagedFunctionArgs:
    function_name: str
    service_name: str
    handler: PackagedHandler
    code: pulumi.Archive
    access: FunctionAccess
    stack: str
    log_level: str
    log_retention_days: int
    memory_mb: int | None
    tags: dict[str, str]


def policy_document(statements: list[Statement]) -> pulumi.Output[str]:
    """An IAM policy as JSON, with every ``Effect`` defaulting to Allow."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", **statement} for statement in statements],
        }
    )


LAMBDA_ASSUME_ROLE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


class PackagedFunction(pulumi.ComponentResource):
    """The function takes handler, runtime, timeout and architecture from the package; memory
    from the stack when it sets one. Its log group is declared (not left to Lambda) so the
    retention is ours, and its role may write only to that group."""

    def __init__(
        self, name: str, args: PackagedFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:compute:PackagedFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{args.function_name}",
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"{args.function_name}-role",
            assume_role_policy=pulumi.Output.json_dumps(LAMBDA_ASSUME_ROLE),
            tags=args.tags,
            opts=child,
        )
        write_logs: Statement = {
            "Sid": "WriteOwnLogs",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [pulumi.Output.concat(self.log_group.arn, ":*")],
        }
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=f"{args.function_name}-policy",
            role=self.role.id,
            policy=policy_document([write_logs, *args.access.statements]),
            opts=child,
        )
        self.environment: dict[str, pulumi.Input[str]] = {
            env.STACK: args.stack,
            env.SERVICE_NAME: args.service_name,
            env.LOG_LEVEL: args.log_level,
            **args.access.environment,
        }
        handler = args.handler
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            role=self.role.arn,
            handler=handler.handler,
            runtime=handler.runtime,
            memory_size=args.memory_mb or handler.memory_mb,
            timeout=handler.timeout_seconds,
            reserved_concurrent_executions=args.access.reserved_concurrency,
            architectures=list(handler.architectures),
            code=args.code,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=self.environment),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.policy]),
        )
        self.arn = self.function.arn
        self.timeout_seconds = handler.timeout_seconds
        self.register_outputs({"arn": self.arn, "role_arn": self.role.arn})
