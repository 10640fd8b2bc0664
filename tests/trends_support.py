"""What trends' tests share across kinds: the trends system declared alone, in moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from devstack.program import RecordingMocks, run_program


def declare_trends(
    stack: str, mocks: RecordingMocks, overrides: dict[str, Any] | None = None
) -> RecordingMocks:
    """The program for ``stack`` declaring only the trends system, under ``mocks``."""
    return run_program(stack, mocks, overrides, systems=("trends",))


STACK = "dev"
API_KEY = "yt-functional-key"


@contextmanager
def trends_in_moto() -> Iterator[RecordingMocks]:
    """A moto account holding what the program declares for trends on the dev stack, with
    the YouTube key stored in its secret."""
    import boto3
    from moto import mock_aws

    from chalicelib.trends import names
    from devstack.mocks import MotoMocks
    from shared.names import physical
    from tests.conftest import REGION

    with mock_aws():
        mocks = declare_trends(STACK, MotoMocks(REGION))
        boto3.client("secretsmanager", region_name=REGION).put_secret_value(
            SecretId=physical(names.YOUTUBE_API_KEY_SECRET, STACK),
            SecretString=json.dumps({"api_key": API_KEY}),
        )
        yield mocks


def rank_one(keyword: str, title: str, views: int, now: Any) -> Any:
    """A ranking of one trend (``keyword``) made of one video, as the analysis makes it
    (``TrendRepository.store_ranking`` takes it)."""
    from chalicelib.trends.ranking import Scored, engagement, rank_trends
    from chalicelib.trends.videos import Video

    video = Video.from_api(
        {
            "id": f"v-{keyword.replace(' ', '-')}",
            "snippet": {
                "publishedAt": now.isoformat().replace("+00:00", "Z"),
                "channelId": "channel",
                "title": title,
                "categoryId": "28",
            },
            "statistics": {"viewCount": str(views)},
        }
    )
    return rank_trends([Scored(video, engagement(video, now, None), (keyword,))])
