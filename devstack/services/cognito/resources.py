"""Cognito's resource types: user pools (password policy, MFA, who may sign up) and their
app clients (auth flows, token validity), created in moto as declared."""

from __future__ import annotations

from typing import Any

from devstack.services.base import Clients, LocalType, as_int
from devstack.services.outputs import ACCOUNT_ID, Created, short_id, with_name


def user_pool(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    policy = inputs.get("passwordPolicy") or {}
    request: dict[str, Any] = {
        "PoolName": inputs["name"],
        "UsernameAttributes": inputs.get("usernameAttributes") or [],
        "AutoVerifiedAttributes": inputs.get("autoVerifiedAttributes") or [],
        "MfaConfiguration": inputs.get("mfaConfiguration", "OFF"),
        "UserPoolTags": inputs.get("tags") or {},
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": as_int(policy.get("minimumLength", 8)),
                "RequireUppercase": bool(policy.get("requireUppercase")),
                "RequireLowercase": bool(policy.get("requireLowercase")),
                "RequireNumbers": bool(policy.get("requireNumbers")),
                "RequireSymbols": bool(policy.get("requireSymbols")),
            }
        },
    }
    admin_only = (inputs.get("adminCreateUserConfig") or {}).get("allowAdminCreateUserOnly")
    request["AdminCreateUserConfig"] = {"AllowAdminCreateUserOnly": bool(admin_only)}
    pool = clients("cognito-idp").create_user_pool(**request)["UserPool"]
    region = clients.region
    return pool["Id"], {
        **inputs,
        "arn": pool["Arn"],
        "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool['Id']}",
    }


def user_pool_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    pool_id = f"{region}_{short_id(outputs['name'], 9)}"
    return pool_id, outputs | {
        "arn": f"arn:aws:cognito-idp:{region}:{ACCOUNT_ID}:userpool/{pool_id}",
        "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
    }


def user_pool_client(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    units = inputs.get("tokenValidityUnits") or {}
    request: dict[str, Any] = {
        "UserPoolId": inputs["userPoolId"],
        "ClientName": inputs["name"],
        "GenerateSecret": bool(inputs.get("generateSecret")),
        "ExplicitAuthFlows": inputs.get("explicitAuthFlows") or [],
    }
    for key, parameter, unit in (
        ("idTokenValidity", "IdTokenValidity", "idToken"),
        ("accessTokenValidity", "AccessTokenValidity", "accessToken"),
        ("refreshTokenValidity", "RefreshTokenValidity", "refreshToken"),
    ):
        if inputs.get(key) is not None:
            request[parameter] = as_int(inputs[key])
            if units.get(unit):
                request.setdefault("TokenValidityUnits", {})[parameter.removesuffix("Validity")] = (
                    units[unit]
                )
    client = clients("cognito-idp").create_user_pool_client(**request)["UserPoolClient"]
    return client["ClientId"], {**inputs, "id": client["ClientId"]}


def user_pool_client_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    return short_id(outputs["name"], 26), outputs


TYPES = {
    "aws:cognito/userPool:UserPool": LocalType(offline=user_pool_outputs, create=user_pool),
    "aws:cognito/userPoolClient:UserPoolClient": LocalType(
        offline=user_pool_client_outputs, create=user_pool_client
    ),
}
