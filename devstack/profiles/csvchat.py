"""csvchat on the local stack: two demo users in the program's user pool (so isolation can
be tried: neither sees the other's datasets), and what stack.json tells a person or a
script to sign in with (specs/csvchat.md): the pool, its app client, the endpoint that
answers Cognito (the local AWS endpoint) and the demo users' credentials. Its text-to-SQL
model on the local Bedrock is ``csvchat_model.py``."""

from __future__ import annotations

from typing import Any

import boto3

from chalicelib.csvchat import names
from devstack.profiles import Profile, SeedContext
from devstack.profiles.csvchat_model import MODEL
from shared.names import physical

# Passwords that satisfy the pool's policy (12+ characters, upper, lower, digits).
DEMO_USERS = (
    {"username": "alice@example.com", "password": "Local-demo-alice-1"},
    {"username": "bob@example.com", "password": "Local-demo-bob-22"},
)


def pool_ids(stack: str, cognito: Any = None) -> tuple[str, str]:
    """The user pool's id and its app client's id, found by the names the program gives."""
    client = cognito or boto3.client("cognito-idp")
    pool_name = physical(names.USER_POOL, stack)
    pools = client.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next(p["Id"] for p in pools if p["Name"] == pool_name)
    app_clients = client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    client_name = physical(names.USER_POOL_CLIENT, stack)
    client_id = next(
        c["ClientId"] for c in app_clients["UserPoolClients"] if c["ClientName"] == client_name
    )
    return pool_id, client_id


def create_user(cognito: Any, pool_id: str, username: str, password: str) -> None:
    """A confirmed user with a permanent password, as an operator creates one (runbook)."""
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": username},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=password, Permanent=True
    )


# The page is served by the local gateway on a loopback port chosen at start (S3 takes one
# wildcard in an origin).
LOCAL_PAGE_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*"]


def allow_local_page(stack: str, s3: Any = None) -> None:
    """Let the page on the local gateway upload: the program's CORS rule names the API's
    origin in AWS, which no local page has; this adds the loopback origins to it."""
    client = s3 or boto3.client("s3")
    prefix = f"{physical(names.UPLOADS_BUCKET, stack)}-"
    for bucket in (b["Name"] for b in client.list_buckets()["Buckets"]):
        if bucket.startswith(prefix):
            rules = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
            rules[0]["AllowedOrigins"] = [*rules[0]["AllowedOrigins"], *LOCAL_PAGE_ORIGINS]
            client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})


def seed(context: SeedContext) -> None:
    cognito = boto3.client("cognito-idp")
    pool_id, _ = pool_ids(context.stack, cognito)
    for user in DEMO_USERS:
        create_user(cognito, pool_id, user["username"], user["password"])
    allow_local_page(context.stack)


def describe(context: SeedContext) -> dict[str, Any]:
    pool_id, client_id = pool_ids(context.stack)
    endpoint = boto3.client("cognito-idp").meta.endpoint_url
    return {
        "cognito": {"user_pool_id": pool_id, "client_id": client_id, "endpoint": endpoint},
        "demo": {"users": [dict(u) for u in DEMO_USERS]},
    }


PROFILE = Profile(system="csvchat", models=(MODEL,), seed=seed, describe=describe)
