"""mentions on the local stack: a fake MentionMind holding a dozen demo mentions from the
last hours for each project the program tells the ingester to copy, and the MentionMind key
(the fake's, or the real one given: the projects are then the stack's ``mentions.projectIds``,
``--set serverless-fleet:mentions='{...}'`` to use yours)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3

from chalicelib.mentions import names
from chalicelib.mentions.env import MENTIONMIND_BASE_URL, MENTIONMIND_PROJECT_IDS
from devstack.declaration import Declaration
from devstack.fakes.mentionmind import FakeMentionMind
from devstack.profiles import Fake, FakeContext, Profile, SeedContext
from shared.names import physical

LOCAL_MENTIONMIND_KEY = "mm-local-fake"


def demo_mentions(now: datetime, count: int = 12) -> list[dict[str, Any]]:
    """Mentions as MentionMind returns them, from the last few hours (inside the first run's
    window): several sources, HTML to clean, and one without a date (counted as invalid)."""
    sources = ("twitter", "news", "blogs")
    mentions: list[dict[str, Any]] = [
        {
            "id": f"demo-{n:03d}",
            "text": f"<p>Clarify CV made my CV <b>so much</b> better (#{n})</p>",
            "source": sources[n % len(sources)],
            "url": f"https://example.com/mentions/{n}",
            "author": f"user{n}",
            "date": (now - timedelta(minutes=20 * n + 5)).isoformat(),
            "status": "new",
            "sentiment": "positive",
        }
        for n in range(count)
    ]
    mentions.append({"id": "demo-undated", "text": "no date", "source": "news", "url": ""})
    return mentions


def mentionmind_projects(mocks: Declaration) -> list[str]:
    """The MentionMind projects the program tells its functions to ingest."""
    return sorted(
        {
            project
            for function in mocks.of_type("aws:lambda/function:Function")
            for project in json.loads(
                function.inputs["environment"]["variables"].get(MENTIONMIND_PROJECT_IDS, "[]")
            )
        }
    )


def fake_mentionmind(context: FakeContext) -> FakeMentionMind:
    """The fake, with demo mentions for every configured project."""
    fake = FakeMentionMind({LOCAL_MENTIONMIND_KEY})
    for project in mentionmind_projects(context.mocks):
        fake.mentions[project] = demo_mentions(context.now)
    return fake


def seed(context: SeedContext) -> None:
    """The MentionMind key, in the secret the program declares without a value."""
    real = context.real.get("mentionmind")
    boto3.client("secretsmanager").put_secret_value(
        SecretId=physical(names.MENTIONMIND_SECRET, context.stack),
        SecretString=json.dumps(
            {"api_key": real["MENTIONMIND_API_KEY"] if real else LOCAL_MENTIONMIND_KEY}
        ),
    )


PROFILE = Profile(
    system="mentions",
    fakes=(
        Fake(
            name="mentionmind",
            build=fake_mentionmind,
            variable=MENTIONMIND_BASE_URL,
            real_variables=("MENTIONMIND_API_KEY",),
        ),
    ),
    seed=seed,
)
