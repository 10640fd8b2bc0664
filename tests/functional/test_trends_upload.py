"""The resumable upload against the wire-level fake over HTTP, with OAuth credentials read
from Secrets Manager and the quota counted in the state table the program declares (moto):
the bytes land byte-identical, a cut-off or killed upload goes on from what the session
holds without resending a finished chunk, and what is retried, renewed, started over or
never retried."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from chalicelib.trends import names
from chalicelib.trends.credentials import youtube_oauth
from chalicelib.trends.exceptions import (
    QuotaBudgetExceededError,
    QuotaExceededError,
    YouTubeUnavailableError,
)
from chalicelib.trends.quota import UNIT_COSTS, QuotaKeeper
from chalicelib.trends.upload import (
    CHUNK_UNIT,
    UploadedVideo,
    VideoMetadata,
    upload_video,
)
from chalicelib.trends.youtube import RetryPolicy
from devstack.fakes.base import Fault
from devstack.fakes.faults import ANSWER, CONTROL_PATH, DROP_AFTER_HANDLING, Action
from devstack.fakes.youtube import (
    INSPECT_UPLOADS_PATH,
    SESSIONS_PATH,
    UPLOAD_PATH,
    FakeYouTube,
    cut_upload,
    google_error,
    quota_exceeded,
)
from devstack.program import RecordingMocks
from shared.names import physical
from shared.observability import logger
from tests.conftest import REGION
from tests.trends_support import STACK, trends_in_moto

NOW = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
CHUNK = 2 * CHUNK_UNIT  # 512 KiB: the video below takes seven chunks, the last a short one
SIZE = 6 * CHUNK + 12_345
OAUTH_SECRET = "trends/youtube-oauth-upload-test"
OAUTH = {"client_id": "client-1.apps", "client_secret": "shh", "refresh_token": "1//refresh"}
METADATA = VideoMetadata.model_validate(
    {
        "snippet": {
            "title": "AI agents: today's trend in two minutes",
            "description": "Made from today's most popular videos.",
            "tags": ["ai agents", "trends"],
            "categoryId": "28",
        },
        "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False},
    }
)


class Killed(Exception):
    """The Lambda's timeout, arriving while it reads the next chunk."""


def killed_at(doomed: int) -> Callable[[int], None]:
    """A read hook: the invocation dies when it comes to read byte ``doomed``'s chunk."""

    def hook(offset: int) -> None:
        if offset == doomed:
            raise Killed

    return hook


@pytest.fixture(scope="module")
def moto() -> Iterator[RecordingMocks]:
    with trends_in_moto() as mocks:
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=OAUTH_SECRET, SecretString=json.dumps(OAUTH)
        )
        yield mocks


@pytest.fixture
def state(moto: RecordingMocks) -> Iterator[Any]:
    table = boto3.resource("dynamodb", region_name=REGION).Table(
        physical(names.TRENDS_STATE_TABLE.base_name, STACK)
    )
    yield table
    for item in table.scan()["Items"]:
        table.delete_item(Key={"state_key": item["state_key"]})


@pytest.fixture
def youtube(tmp_path: Path) -> Iterator[FakeYouTube]:
    fake = FakeYouTube(set(), clock=lambda: NOW, uploads_dir=tmp_path)
    fake.grant(OAUTH["client_id"], OAUTH["client_secret"], OAUTH["refresh_token"])
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def video() -> bytes:
    """A few MB of bytes no two chunks share (not a real video: the fake stores bytes)."""
    return random.Random(2026).randbytes(SIZE)


class Upload:
    """One Lambda's view of an upload: the source, the remembered session, the sleeps."""

    def __init__(self, fake: FakeYouTube, table: Any, video: bytes, budget: int = 10_000):
        self.fake = fake
        self.video = video
        self.remembered: list[str] = []
        self.sleeps: list[float] = []
        self.reads: list[int] = []
        self.quota = QuotaKeeper(table, budget, clock=lambda: NOW)
        self.on_read: Callable[[int], None] = lambda _offset: None

    def read(self, offset: int, length: int) -> bytes:
        self.reads.append(offset)
        self.on_read(offset)
        return self.video[offset : offset + length]

    def run(self, *, attempts: int = 4) -> UploadedVideo:
        """One invocation: a fresh credentials object (no access token yet), the session
        an earlier invocation remembered."""
        credentials = youtube_oauth(
            SecretsProvider(boto3_client=boto3.client("secretsmanager", region_name=REGION)),
            OAUTH_SECRET,
            max_age=0,
            token_uri=self.fake.url + "/token",
        )
        return upload_video(
            self.read,
            len(self.video),
            METADATA,
            auth=credentials,
            quota=self.quota,
            session=requests.Session(),
            session_uri=self.remembered[-1] if self.remembered else None,
            remember=self.remembered.append,
            log=logger(names.TRENDS_METRICS_SERVICE),
            upload_url=self.fake.url,
            chunk_bytes=CHUNK,
            retry=RetryPolicy(attempts, 0.01, self.sleeps.append),
        )


def uploads(fake: FakeYouTube) -> list[dict[str, Any]]:
    """The fake's inspection route, as a test or an operator reads it."""
    listing: list[dict[str, Any]] = requests.get(fake.url + INSPECT_UPLOADS_PATH, timeout=5).json()[
        "uploads"
    ]
    return listing


def session_puts(fake: FakeYouTube) -> list[str]:
    """Each PUT's Content-Range, in order."""
    return [
        r["headers"]["Content-Range"]
        for r in fake.requests
        if r["method"] == "PUT" and r["path"].startswith(SESSIONS_PATH)
    ]


def assert_received_once_in_order(upload: dict[str, Any], size: int) -> None:
    """Every byte of the session arrived exactly once: no range overlaps another."""
    ranges = upload["received"]
    assert ranges[0][0] == 0
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert first == last + 1, f"resent or skipped around byte {first}: {ranges}"
    assert ranges[-1][1] == size - 1


def test_a_multi_chunk_upload_lands_byte_identical_with_its_metadata(
    youtube: FakeYouTube, state: Any, video: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    upload = Upload(youtube, state, video)

    uploaded = upload.run()

    stored = youtube.uploads_dir / f"{uploaded.video_id}.mp4"
    assert stored.read_bytes() == video
    kept = json.loads((youtube.uploads_dir / f"{uploaded.video_id}.json").read_text())
    assert kept["metadata"] == METADATA.model_dump(mode="json", by_alias=True)
    assert uploaded.resource["status"]["uploadStatus"] == "uploaded"
    assert uploaded.resource["snippet"]["title"] == METADATA.snippet.title
    (listed,) = uploads(youtube)
    assert listed["complete"] and listed["video_id"] == uploaded.video_id
    assert_received_once_in_order(listed, len(video))
    lengths = [last - first + 1 for first, last in listed["received"]]
    assert lengths[:-1] == [CHUNK] * (len(lengths) - 1)
    assert 0 < lengths[-1] <= CHUNK
    assert len(upload.remembered) == 1 and upload.remembered[0].startswith(youtube.url)
    assert upload.quota.used() == UNIT_COSTS["videos.insert"]
    (opened,) = [r for r in youtube.requests if r["path"] == UPLOAD_PATH]
    assert opened["headers"]["X-Upload-Content-Length"] == str(len(video))
    assert opened["headers"]["Authorization"].startswith("Bearer ya29.")
    progress = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["bytes_held"] for p in progress if p["message"] == "upload progress"] == [
        last + 1 for _, last in listed["received"][:-1]
    ]


def test_an_upload_killed_midway_goes_on_from_its_remembered_session(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    upload = Upload(youtube, state, video)
    upload.on_read = killed_at(3 * CHUNK)
    with pytest.raises(Killed):
        upload.run()
    puts_before = len(session_puts(youtube))
    upload.on_read = lambda _offset: None
    uploaded = upload.run()

    (listed,) = uploads(youtube)
    assert_received_once_in_order(listed, len(video))
    resumed = session_puts(youtube)[puts_before:]
    assert resumed[0] == f"bytes */{len(video)}"
    assert resumed[1].startswith(f"bytes {3 * CHUNK}-")
    assert (youtube.uploads_dir / f"{uploaded.video_id}.mp4").read_bytes() == video
    assert len(upload.remembered) == 1
    assert upload.quota.used() == UNIT_COSTS["videos.insert"]


@pytest.mark.parametrize("action", [ANSWER, DROP_AFTER_HANDLING])
def test_a_chunk_cut_off_midway_is_resumed_from_the_byte_the_session_holds(
    youtube: FakeYouTube, state: Any, video: bytes, action: Action
) -> None:
    upload = Upload(youtube, state, video)
    cut_at = 2 * CHUNK + 100_000

    def cut_the_third_chunk(offset: int) -> None:
        if offset == 2 * CHUNK:
            youtube.fail_next(cut_upload(100_000, action))

    upload.on_read = cut_the_third_chunk

    uploaded = upload.run()

    (listed,) = uploads(youtube)
    assert_received_once_in_order(listed, len(video))
    assert any(last == cut_at - 1 for _, last in listed["received"])
    puts = session_puts(youtube)
    asked = puts.index(f"bytes */{len(video)}")
    assert puts[asked + 1].startswith(f"bytes {cut_at}-")
    assert len(upload.sleeps) == 1
    assert (youtube.uploads_dir / f"{uploaded.video_id}.mp4").read_bytes() == video


def test_a_cut_armed_over_http_then_a_new_invocation_resumes_the_session(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    upload = Upload(youtube, state, video)
    control = youtube.url + CONTROL_PATH

    def cut_over_http(offset: int) -> None:
        if offset == CHUNK:
            armed = requests.post(
                control,
                json={"path_contains": SESSIONS_PATH, "status": 503, "after_bytes": 70_000},
                timeout=5,
            )
            assert armed.json()["faults"][0]["after_bytes"] == 70_000

    upload.on_read = cut_over_http
    with pytest.raises(YouTubeUnavailableError, match="stopped at byte"):
        upload.run(attempts=1)  # the invocation gives up: Step Functions retries it
    upload.on_read = lambda _offset: None
    uploaded = upload.run()

    (listed,) = uploads(youtube)
    assert_received_once_in_order(listed, len(video))
    assert any(last == CHUNK + 70_000 - 1 for _, last in listed["received"])
    assert (youtube.uploads_dir / f"{uploaded.video_id}.mp4").read_bytes() == video


def test_server_errors_are_retried_with_backoff_and_nothing_is_resent(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    backend_error = google_error(500, "backendError", "Backend Error", "global")
    youtube.fail_next(Fault(UPLOAD_PATH, 503, backend_error))
    youtube.fail_next(Fault(SESSIONS_PATH, 500, backend_error), times=2)
    upload = Upload(youtube, state, video)

    uploaded = upload.run()

    (listed,) = uploads(youtube)
    assert_received_once_in_order(listed, len(video))
    assert len(upload.sleeps) == 3
    assert upload.quota.used() == 2 * UNIT_COSTS["videos.insert"]  # each attempt is paid
    assert (youtube.uploads_dir / f"{uploaded.video_id}.mp4").read_bytes() == video


def test_server_errors_that_outlast_the_retries_say_so(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    youtube.fail_next(Fault(SESSIONS_PATH, 503, {"error": "down"}), times=100)
    upload = Upload(youtube, state, video)

    with pytest.raises(YouTubeUnavailableError, match="after 4 failed attempts") as raised:
        upload.run()

    assert raised.value.status == 503
    assert len(upload.sleeps) == 3


def test_quota_exceeded_is_not_retried_and_is_reported(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    youtube.fail_next(quota_exceeded(UPLOAD_PATH))
    upload = Upload(youtube, state, video)

    with pytest.raises(QuotaExceededError) as raised:
        upload.run()

    assert raised.value.reason == "quotaExceeded"
    assert [r["path"] for r in youtube.requests if r["path"] != "/token"] == [UPLOAD_PATH]
    assert upload.sleeps == [] and upload.remembered == [] and upload.reads == []


def test_an_upload_the_days_budget_cannot_pay_for_is_never_started(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    budget = 2 * UNIT_COSTS["videos.insert"] - 1
    Upload(youtube, state, video, budget).run()
    second = Upload(youtube, state, video, budget)

    with pytest.raises(QuotaBudgetExceededError):
        second.run()

    assert len(uploads(youtube)) == 1
    assert second.remembered == [] and second.reads == []


def test_an_expired_session_starts_over_in_a_new_one(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    upload = Upload(youtube, state, video)
    upload.on_read = killed_at(2 * CHUNK)
    with pytest.raises(Killed):
        upload.run()
    youtube.expire_uploads()
    upload.on_read = lambda _offset: None
    uploaded = upload.run()

    first, second = uploads(youtube)
    assert first["expired"] and not first["complete"]
    assert second["complete"] and second["video_id"] == uploaded.video_id
    assert_received_once_in_order(second, len(video))
    assert len(upload.remembered) == 2 and upload.remembered[0] != upload.remembered[1]
    assert upload.quota.used() == 2 * UNIT_COSTS["videos.insert"]
    assert (youtube.uploads_dir / f"{uploaded.video_id}.mp4").read_bytes() == video


def test_an_access_token_revoked_midway_is_renewed_once_and_the_upload_goes_on(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    upload = Upload(youtube, state, video)
    revoked: list[int] = []

    def revoke_once(offset: int) -> None:
        if offset == CHUNK and not revoked:
            youtube.revoke_access_tokens()
            revoked.append(offset)

    upload.on_read = revoke_once

    uploaded = upload.run()

    assert sum(1 for r in youtube.requests if r["path"] == "/token") == 2
    puts = [r for r in youtube.requests if r["method"] == "PUT"]
    assert len({r["headers"]["Authorization"] for r in puts}) == 2
    assert [r["headers"]["Content-Range"] for r in puts].count(
        f"bytes {CHUNK}-{2 * CHUNK - 1}/{SIZE}"
    ) == 2
    (listed,) = uploads(youtube)
    assert_received_once_in_order(listed, len(video))
    assert upload.sleeps == []
    assert (youtube.uploads_dir / f"{uploaded.video_id}.mp4").read_bytes() == video


def test_the_fake_refuses_what_youtube_refuses_a_chunk_off_the_grid_or_past_a_gap(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    upload = Upload(youtube, state, video)
    upload.on_read = killed_at(CHUNK)
    with pytest.raises(Killed):
        upload.run()
    (uri,) = upload.remembered
    token = next(r for r in youtube.requests if r["method"] == "PUT")["headers"]["Authorization"]

    def put(first: int, length: int) -> requests.Response:
        return requests.put(
            uri,
            data=video[first : first + length],
            headers={
                "Authorization": token,
                "Content-Range": f"bytes {first}-{first + length - 1}/{SIZE}",
            },
            timeout=5,
        )

    off_grid, past_a_gap = put(CHUNK, CHUNK_UNIT + 1), put(2 * CHUNK, CHUNK)

    assert (off_grid.status_code, off_grid.json()["error"]["errors"][0]["reason"]) == (
        400,
        "badContent",
    )
    assert "multiple of 262144" in off_grid.json()["error"]["message"]
    assert past_a_gap.status_code == 400 and f"resume from {CHUNK}" in past_a_gap.text
    (listed,) = uploads(youtube)
    assert listed["stored"] == CHUNK


def test_the_last_answer_lost_on_the_way_back_gives_the_same_video_not_a_second(
    youtube: FakeYouTube, state: Any, video: bytes
) -> None:
    upload = Upload(youtube, state, video)
    last_chunk = (SIZE // CHUNK) * CHUNK

    def lose_the_last_answer(offset: int) -> None:
        if offset == last_chunk:
            youtube.fail_next(Fault(SESSIONS_PATH, action=DROP_AFTER_HANDLING))

    upload.on_read = lose_the_last_answer

    uploaded = upload.run()

    (listed,) = uploads(youtube)
    assert listed["video_id"] == uploaded.video_id
    assert_received_once_in_order(listed, len(video))
    assert session_puts(youtube)[-1] == f"bytes */{len(video)}"
    assert sorted(p.name for p in youtube.uploads_dir.iterdir()) == sorted(
        [f"{uploaded.video_id}.mp4", f"{uploaded.video_id}.json"]
    )
