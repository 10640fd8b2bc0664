"""The YouTube client against the wire-level fake over HTTP, with the quota counted in the
state table the program declares (moto): pagination, the quota per Pacific day across
invocations and refused before overspending, what is retried and what never is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from chalicelib.trends import names
from chalicelib.trends.credentials import youtube_oauth
from chalicelib.trends.exceptions import (
    ChartNotFoundError,
    QuotaBudgetExceededError,
    QuotaExceededError,
    RequestRejectedError,
    YouTubeUnavailableError,
)
from chalicelib.trends.quota import QuotaKeeper
from chalicelib.trends.youtube import ApiCall, ApiKey, YouTubeClient
from devstack.fakes.base import Fault
from devstack.fakes.youtube import API_PREFIX, FakeVideo, FakeYouTube, quota_exceeded, rate_limited
from devstack.program import RecordingMocks
from shared.errors import ConfigurationError
from shared.names import physical
from tests.conftest import REGION
from tests.trends_support import API_KEY, STACK, trends_in_moto

# 23:30 in Los Angeles on 5 December (PST): the quota day turns at 08:00 UTC.
LATE_PACIFIC = datetime(2026, 12, 6, 7, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def moto() -> Iterator[RecordingMocks]:
    with trends_in_moto() as mocks:
        yield mocks


@pytest.fixture
def state(moto: RecordingMocks) -> Iterator[object]:
    table = boto3.resource("dynamodb", region_name=REGION).Table(
        physical(names.TRENDS_STATE_TABLE.base_name, STACK)
    )
    yield table
    for item in table.scan()["Items"]:
        table.delete_item(Key={"state_key": item["state_key"]})


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    fake = FakeYouTube({API_KEY}, clock=lambda: LATE_PACIFIC)
    fake.add(
        "US",
        [
            FakeVideo(
                id=f"v{n:03d}",
                title=f"video {n}",
                category_id="28" if n % 3 else "27",
                published_at=LATE_PACIFIC - timedelta(hours=n + 1),
                tags=() if n % 2 else ("tech",),
                like_share=None if n % 5 == 0 else 0.05,
            )
            for n in range(180)
        ],
    )
    fake.start()
    yield fake
    fake.stop()


def client(
    fake: FakeYouTube,
    table: object,
    *,
    budget: int = 10_000,
    now: datetime = LATE_PACIFIC,
    calls: list[ApiCall] | None = None,
    sleeps: list[float] | None = None,
    key: str = API_KEY,
) -> YouTubeClient:
    return YouTubeClient(
        ApiKey(key),
        QuotaKeeper(table, budget, clock=lambda: now),  # type: ignore[arg-type]
        base_url=fake.url + API_PREFIX,
        backoff_seconds=0.01,
        observe=calls.append if calls is not None else None,
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
    )


def test_every_page_of_a_chart_is_read_by_its_token_one_unit_each(
    youtube: FakeYouTube, state: object
) -> None:
    yt = client(youtube, state)

    pages = list(yt.most_popular("US", "28", page_size=50, max_pages=4))

    ids = [v.id for page in pages for v in page.videos]
    assert len(pages) == 3  # 120 videos in category 28, 50 a page
    assert len(ids) == len(set(ids)) == 120
    assert all(v.snippet.category_id == "28" for page in pages for v in page.videos)
    assert [r["headers"].get("X-Goog-Api-Key") for r in youtube.requests] == [API_KEY] * 3
    assert all("key" not in r["path"] for r in youtube.requests)
    assert yt.quota.spent == 3 and yt.quota.used("2026-12-05") == 3


def test_max_pages_caps_the_calls(youtube: FakeYouTube, state: object) -> None:
    pages = list(client(youtube, state).most_popular("US", "0", page_size=50, max_pages=2))

    assert len(pages) == 2 and pages[-1].next_page_token is not None
    assert len(youtube.requests) == 2


def test_the_quota_is_counted_per_pacific_day_across_invocations_and_refused_before_overspending(
    youtube: FakeYouTube, state: object
) -> None:
    # GIVEN a budget of 5 units; a first invocation spends 3
    list(client(youtube, state, budget=5).most_popular("US", "28", page_size=50))
    # WHEN a second invocation the same Pacific day reads 3 more pages
    second = client(youtube, state, budget=5)
    with pytest.raises(QuotaBudgetExceededError) as refused:
        list(second.most_popular("US", "0", page_size=50))

    # THEN it got 2 pages, the third was never sent, and the refusal says why
    assert len(youtube.requests) == 5
    assert (refused.value.used, refused.value.cost, refused.value.budget) == (5, 1, 5)
    assert "2026-12-05" in str(refused.value)
    # AND after midnight Pacific (08:00 UTC) the day's count starts again
    tomorrow = client(youtube, state, budget=5, now=LATE_PACIFIC + timedelta(minutes=31))
    assert len(tomorrow.video_categories("US")) > 10
    assert tomorrow.quota.used("2026-12-06") == 1


def test_quota_exceeded_is_never_retried(youtube: FakeYouTube, state: object) -> None:
    youtube.fail_next(quota_exceeded(), times=5)
    calls: list[ApiCall] = []
    yt = client(youtube, state, calls=calls)

    with pytest.raises(QuotaExceededError, match="midnight Pacific"):
        list(yt.most_popular("US", "28"))

    assert len(youtube.requests) == 1
    assert (calls[0].attempts, calls[0].status, calls[0].reason) == (1, 403, "quotaExceeded")
    assert not calls[0].failed  # a refusal, not an outage


def test_rate_limit_exceeded_is_retried_with_backoff(youtube: FakeYouTube, state: object) -> None:
    youtube.fail_next(rate_limited(), times=2)
    sleeps: list[float] = []
    calls: list[ApiCall] = []
    yt = client(youtube, state, sleeps=sleeps, calls=calls)

    categories = yt.video_categories("US")

    assert {c.id for c in categories if c.title == "Comedy"} == {"23", "34"}
    assert len(youtube.requests) == 3
    assert len(sleeps) == 2 and sleeps[0] <= 0.01 and sleeps[1] <= 0.02
    assert calls[0].attempts == 3 and yt.quota.spent == 3  # every attempt is paid for


def test_a_server_error_is_retried_and_honours_retry_after_then_gives_up(
    youtube: FakeYouTube, state: object
) -> None:
    youtube.fail_next(Fault(API_PREFIX, 503, {"error": "down"}, headers={"Retry-After": "2"}), 4)
    sleeps: list[float] = []

    with pytest.raises(YouTubeUnavailableError, match="after 4 attempts"):
        client(youtube, state, sleeps=sleeps).video_categories("US")

    assert sleeps == [2.0, 2.0, 2.0]
    assert len(youtube.requests) == 4


def test_a_wrong_key_is_refused_at_once_without_the_key_in_the_error(
    youtube: FakeYouTube, state: object
) -> None:
    with pytest.raises(RequestRejectedError) as refused:
        client(youtube, state, key="not-the-key").video_categories("US")

    assert refused.value.reason == "keyInvalid"
    assert "not-the-key" not in str(refused.value)
    assert len(youtube.requests) == 1


def test_a_chart_youtube_does_not_keep_is_told_apart(youtube: FakeYouTube, state: object) -> None:
    with pytest.raises(ChartNotFoundError):
        list(client(youtube, state).most_popular("US", "44"))


def test_the_program_s_schedule_exists_in_the_local_account_as_declared(
    moto: RecordingMocks,
) -> None:
    scheduler = boto3.client("scheduler", region_name=REGION)

    schedule = scheduler.get_schedule(Name=physical("trends-daily-analysis", STACK))

    assert schedule["ScheduleExpression"] == "cron(0 8 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "America/New_York"
    assert schedule["Target"]["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 3600,
        "MaximumRetryAttempts": 2,
    }
    assert schedule["Target"]["DeadLetterConfig"]["Arn"].endswith(
        physical("trends-failed-events", STACK)
    )


OAUTH_SECRET = "trends/youtube-oauth-test"
OAUTH = {"client_id": "client-1.apps", "client_secret": "shh", "refresh_token": "1//refresh"}


def oauth_client(fake: FakeYouTube, table: object, secret: dict[str, str] = OAUTH) -> YouTubeClient:
    """A client with refresh-token credentials read from Secrets Manager (moto)."""
    secrets = boto3.client("secretsmanager", region_name=REGION)
    try:
        secrets.create_secret(Name=OAUTH_SECRET, SecretString=json.dumps(secret))
    except secrets.exceptions.ResourceExistsException:
        secrets.put_secret_value(SecretId=OAUTH_SECRET, SecretString=json.dumps(secret))
    credentials = youtube_oauth(
        SecretsProvider(boto3_client=secrets),
        OAUTH_SECRET,
        max_age=0,
        token_uri=fake.url + "/token",
    )
    yt = YouTubeClient(
        credentials,
        QuotaKeeper(table, 10_000, clock=lambda: LATE_PACIFIC),  # type: ignore[arg-type]
        base_url=fake.url + API_PREFIX,
        sleep=lambda _s: None,
    )
    return yt


def token_calls(fake: FakeYouTube) -> int:
    return sum(1 for r in fake.requests if r["path"] == "/token")


def test_refresh_token_credentials_get_an_access_token_once_and_reuse_it(
    youtube: FakeYouTube, state: object, moto: RecordingMocks
) -> None:
    youtube.grant(OAUTH["client_id"], OAUTH["client_secret"], OAUTH["refresh_token"])
    yt = oauth_client(youtube, state)

    yt.video_categories("US")
    yt.video_categories("US")

    assert token_calls(youtube) == 1
    (grant,) = [r for r in youtube.requests if r["path"] == "/token"]
    assert grant["form"]["grant_type"] == "refresh_token"
    api_calls = [r for r in youtube.requests if r["path"].startswith(API_PREFIX)]
    assert all(r["headers"]["Authorization"].startswith("Bearer ya29.") for r in api_calls)
    assert all("X-Goog-Api-Key" not in r["headers"] for r in api_calls)


def test_an_access_token_revoked_early_is_renewed_once_on_the_401(
    youtube: FakeYouTube, state: object, moto: RecordingMocks
) -> None:
    youtube.grant(OAUTH["client_id"], OAUTH["client_secret"], OAUTH["refresh_token"])
    yt = oauth_client(youtube, state)
    yt.video_categories("US")
    youtube.revoke_access_tokens()

    assert yt.video_categories("US")
    assert token_calls(youtube) == 2


def test_a_revoked_refresh_token_is_refused_before_any_api_call(
    youtube: FakeYouTube, state: object, moto: RecordingMocks
) -> None:
    youtube.grant(OAUTH["client_id"], OAUTH["client_secret"], "1//another")
    yt = oauth_client(youtube, state)

    with pytest.raises(RequestRejectedError, match="invalid_grant"):
        yt.video_categories("US")

    assert not [r for r in youtube.requests if r["path"].startswith(API_PREFIX)]


def test_a_secret_without_the_refresh_token_is_a_configuration_error(
    youtube: FakeYouTube, state: object, moto: RecordingMocks
) -> None:
    with pytest.raises(ConfigurationError, match="lacks refresh_token"):
        oauth_client(youtube, state, {k: v for k, v in OAUTH.items() if k != "refresh_token"})
