"""trends on the local stack: a fake YouTube Data API whose US chart holds themed demo
videos for every configured topic (published in the last two days, their counts growing
with the clock, so two runs an hour apart see velocity), the YouTube key in the secret the
program declares (the fake's, or the real one given), the fake's OAuth client in the
uploads' secret (the fake keeps uploaded videos in ``.local/youtube-uploads/``), and two
demo people in trends' user
pool who may sign in to the configuration page (stack.json: ``trends.cognito`` and
``demo.trends_users``), and its script writer on the local Bedrock (``trends_model.py``).

With ``YOUTUBE_API_KEY`` set in ``make dev``'s environment, YouTube is called for real: no
fake is started and the key is stored instead (every run then spends real quota: the
stack's ``trends.quotaUnitsPerDay`` caps it).
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.trends import names
from chalicelib.trends.env import YOUTUBE_API_URL, YOUTUBE_TOKEN_URL, YOUTUBE_UPLOAD_URL
from devstack.fakes.youtube import API_PREFIX, FakeYouTube, demo_videos
from devstack.profiles import Fake, FakeContext, Profile, SeedContext
from devstack.profiles.trends_model import MODEL
from shared.names import physical

LOCAL_YOUTUBE_KEY = "yt-local-fake"
# The channel owner's consent, as an operator stores it after Google's consent screen: the
# fake grants access tokens for exactly these.
LOCAL_OAUTH = {
    "client_id": "local-client.apps.googleusercontent.com",
    "client_secret": "local-client-secret",
    "refresh_token": "local-refresh-token",
}
# Where the fake keeps uploaded videos, under the stack's state folder (.local/).
UPLOADS_FOLDER = "youtube-uploads"
DEMO_USERS = (
    {"username": "editor@example.com", "password": "Local-demo-editor-1"},
    {"username": "reviewer@example.com", "password": "Local-demo-reviewer-2"},
)
REAL_KEY_VARIABLE = "YOUTUBE_API_KEY"


def fake_youtube(context: FakeContext) -> FakeYouTube:
    """The fake, with the demo chart of the US (the default region), granting tokens to the
    local OAuth client; uploads land in ``.local/youtube-uploads/``."""
    uploads = context.state_dir / UPLOADS_FOLDER if context.state_dir else None
    fake = FakeYouTube({LOCAL_YOUTUBE_KEY}, uploads_dir=uploads)
    fake.add("US", demo_videos(context.now))
    fake.grant(**LOCAL_OAUTH)
    return fake


def pool_ids(stack: str, cognito: Any = None) -> tuple[str, str]:
    """trends' user pool id and its page's app client id, by the names the program gives."""
    client = cognito or boto3.client("cognito-idp")
    pools = client.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next(p["Id"] for p in pools if p["Name"] == physical(names.USER_POOL, stack))
    clients = client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    page_client = physical(names.USER_POOL_CLIENT, stack)
    return pool_id, next(c["ClientId"] for c in clients if c["ClientName"] == page_client)


def seed(context: SeedContext) -> None:
    """The YouTube key, in the secret the program declares without a value; the demo people,
    confirmed with permanent passwords, as an operator creates them (runbook)."""
    cognito = boto3.client("cognito-idp")
    pool_id, _ = pool_ids(context.stack, cognito)
    for user in DEMO_USERS:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=user["username"],
            UserAttributes=[
                {"Name": "email", "Value": user["username"]},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=user["username"], Password=user["password"], Permanent=True
        )
    real = context.real.get("youtube")
    if not real:
        boto3.client("secretsmanager").put_secret_value(
            SecretId=physical(names.YOUTUBE_OAUTH_SECRET, context.stack),
            SecretString=json.dumps(LOCAL_OAUTH),
        )
    boto3.client("secretsmanager").put_secret_value(
        SecretId=physical(names.YOUTUBE_API_KEY_SECRET, context.stack),
        SecretString=json.dumps(
            {"api_key": real[REAL_KEY_VARIABLE] if real else LOCAL_YOUTUBE_KEY}
        ),
    )


def describe(context: SeedContext) -> dict[str, Any]:
    pool_id, client_id = pool_ids(context.stack)
    return {
        "trends": {"cognito": {"user_pool_id": pool_id, "client_id": client_id}},
        "demo": {"trends_users": [dict(u) for u in DEMO_USERS]},
    }


PROFILE = Profile(
    system="trends",
    fakes=(
        Fake(
            name="youtube",
            build=fake_youtube,
            variable=YOUTUBE_API_URL,
            suffix=API_PREFIX,
            more_variables=((YOUTUBE_UPLOAD_URL, ""), (YOUTUBE_TOKEN_URL, "/token")),
            real_variables=(REAL_KEY_VARIABLE,),
        ),
    ),
    models=(MODEL,),
    seed=seed,
    describe=describe,
)
