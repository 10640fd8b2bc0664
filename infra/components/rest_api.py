"""A REST API from Chalice's Swagger, where every method needs an API key from a usage plan
or a Cognito user pool's identity token (Chalice's ``CognitoUserPoolAuthorizer``, whose
placeholder pool ARN the program replaces with the real pool's)."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components.gateway_errors import GATEWAY_ERROR_TEMPLATE
from infra.settings import ApiQuota, ApiThrottle

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}

GATEWAY_RESPONSES = {
    response_type: {"responseTemplates": {"application/json": GATEWAY_ERROR_TEMPLATE}}
    for response_type in ("DEFAULT_4XX", "DEFAULT_5XX")
}


@dataclass
class KeyedRestApiArgs:
    api_name: str
    stage_name: str
    swagger: dict[str, Any]
    handler: aws.lambda_.Function
    throttle: ApiThrottle
    quota: ApiQuota
    tags: dict[str, str]
    # Paths served without an API key, each with the reason (e.g. a webhook that proves
    # itself with a signature instead). Anything not listed must require the key.
    keyless_paths: dict[str, str] = field(default_factory=dict)
    # The user pool ARN of each Cognito authorizer the app's routes name (by its name).
    authorizers: dict[str, pulumi.Input[str]] = field(default_factory=dict)


COGNITO = "cognito_user_pools"


def cognito_authorizers(swagger: dict[str, Any]) -> list[str]:
    """The names of the Swagger's Cognito user pool authorizers."""
    return [
        name
        for name, spec in swagger.get("securityDefinitions", {}).items()
        if spec.get("x-amazon-apigateway-authtype") == COGNITO
    ]


def _check_protected(
    swagger: dict[str, Any], keyless_paths: dict[str, str], authorizers: dict[str, Any]
) -> None:
    """Every method needs the API key or one of the given Cognito authorizers, unless its
    path is listed as keyless; every Cognito authorizer needs its pool."""
    pools = cognito_authorizers(swagger)
    missing = sorted(set(pools) - set(authorizers))
    if missing:
        raise ValueError(f"Cognito authorizers {missing} have no user pool: pass their ARNs")
    for path, methods in swagger.get("paths", {}).items():
        for method, spec in methods.items():
            if method not in HTTP_METHODS or path in keyless_paths:
                continue
            security = spec.get("security", [])
            if {"api_key": []} in security or any({name: []} in security for name in pools):
                continue
            raise ValueError(
                f"{method.upper()} {path} does not require an API key or an identity token: add "
                "api_key_required=True or a CognitoUserPoolAuthorizer to the route, or list "
                "the path as keyless with a reason"
            )


def _with_integration(
    swagger: dict[str, Any], invoke_arn: str, title: str, pools: dict[str, str]
) -> dict[str, Any]:
    """Point every Lambda proxy integration at our function (Chalice writes a CloudFormation
    ``Fn::Sub`` there), each Cognito authorizer at its pool, and require the key in the
    ``x-api-key`` header."""
    resolved = copy.deepcopy(swagger)
    for name, pool_arn in pools.items():
        authorizer = resolved["securityDefinitions"][name]["x-amazon-apigateway-authorizer"]
        authorizer["providerARNs"] = [pool_arn]
    resolved["info"]["title"] = title
    resolved["x-amazon-apigateway-api-key-source"] = "HEADER"
    # In the body, so a change redeploys the stage (a separate GatewayResponse would not).
    resolved["x-amazon-apigateway-gateway-responses"] = GATEWAY_RESPONSES
    for methods in resolved.get("paths", {}).values():
        for method, spec in methods.items():
            integration = (
                spec.get("x-amazon-apigateway-integration") if method in HTTP_METHODS else None
            )
            if integration and integration.get("type") == "aws_proxy":
                integration["uri"] = invoke_arn
    return resolved


class KeyedRestApi(pulumi.ComponentResource):
    """RestApi, deployment, a stage named after the stack, usage plan, key and the permission
    for API Gateway to invoke the handler (on this API's stage only)."""

    def __init__(
        self, name: str, args: KeyedRestApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:api:KeyedRestApi", name, None, opts)
        _check_protected(args.swagger, args.keyless_paths, args.authorizers)
        child = pulumi.ResourceOptions(parent=self)
        names = list(args.authorizers)
        body = pulumi.Output.all(args.handler.invoke_arn, *args.authorizers.values()).apply(
            lambda resolved: json.dumps(
                _with_integration(
                    args.swagger,
                    resolved[0],
                    args.api_name,
                    dict(zip(names, resolved[1:], strict=True)),
                )
            )
        )
        self.api = aws.apigateway.RestApi(
            f"{name}-api",
            name=args.api_name,
            body=body,
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(
                types="REGIONAL"
            ),
            tags=args.tags,
            opts=child,
        )
        self.deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.api.id,
            triggers={"body": body.apply(lambda b: hashlib.sha256(b.encode()).hexdigest())},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.api.id,
            deployment=self.deployment.id,
            stage_name=args.stage_name,
            tags=args.tags,
            opts=child,
        )
        self.usage_plan = aws.apigateway.UsagePlan(
            f"{name}-usage-plan",
            name=f"{args.api_name}-usage-plan",
            api_stages=[
                aws.apigateway.UsagePlanApiStageArgs(
                    api_id=self.api.id, stage=self.stage.stage_name
                )
            ],
            throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
                burst_limit=args.throttle.burst_limit, rate_limit=args.throttle.rate_limit
            ),
            quota_settings=aws.apigateway.UsagePlanQuotaSettingsArgs(
                limit=args.quota.limit, period=args.quota.period
            ),
            tags=args.tags,
            opts=child,
        )
        self.api_key = aws.apigateway.ApiKey(
            f"{name}-key", name=f"{args.api_name}-key", enabled=True, tags=args.tags, opts=child
        )
        aws.apigateway.UsagePlanKey(
            f"{name}-usage-plan-key",
            key_id=self.api_key.id,
            key_type="API_KEY",
            usage_plan_id=self.usage_plan.id,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=args.handler.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(self.api.execution_arn, "/", args.stage_name, "/*"),
            opts=child,
        )
        self.url = self.stage.invoke_url
        self.register_outputs({"url": self.url, "api_key_id": self.api_key.id})
