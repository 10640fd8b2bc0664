"""A Cognito user pool and the app client people and scripts sign in with: the identity
behind an API's ``CognitoUserPoolAuthorizer`` (``rest_api.py`` gives the authorizer the
pool's ARN).

Users sign in with their e-mail address; only operators create accounts (no self sign-up
until a page asks for it); ID tokens last an hour, refresh tokens a month. The client has no
secret (a browser cannot keep one) and allows SRP and, for scripts over TLS, the password
flow; an unknown user and a wrong password get the same answer."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass
class UserPoolArgs:
    pool_name: str
    client_name: str
    tags: dict[str, str]
    protect: bool
    id_token_minutes: int = 60
    refresh_token_days: int = 30


class UserPool(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: UserPoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:identity:UserPool", name, None, opts)
        self.pool = aws.cognito.UserPool(
            f"{name}-pool",
            name=args.pool_name,
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                allow_admin_create_user_only=True
            ),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=False,
                temporary_password_validity_days=3,
            ),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
                recovery_mechanisms=[
                    aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
                        name="verified_email", priority=1
                    )
                ]
            ),
            mfa_configuration="OFF",
            deletion_protection="ACTIVE" if args.protect else "INACTIVE",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.client = aws.cognito.UserPoolClient(
            f"{name}-client",
            name=args.client_name,
            user_pool_id=self.pool.id,
            generate_secret=False,
            explicit_auth_flows=[
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ],
            prevent_user_existence_errors="ENABLED",
            supported_identity_providers=["COGNITO"],
            id_token_validity=args.id_token_minutes,
            access_token_validity=args.id_token_minutes,
            refresh_token_validity=args.refresh_token_days,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                id_token="minutes", access_token="minutes", refresh_token="days"
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.pool.arn
        self.id = self.pool.id
        self.client_id = self.client.id
        self.register_outputs({"arn": self.arn, "id": self.id, "client_id": self.client_id})
