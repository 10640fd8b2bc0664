"""A video's upload to YouTube (``videos.insert``, the resumable protocol): a session is
opened with the metadata, then the bytes go in chunks, each a ``PUT`` to the session URI.

Why resumable, and why the session URI is the caller's to keep: a Lambda can be killed
mid-upload (its timeout) and retried by Step Functions. The caller stores the session URI
(``remember``) as soon as it is opened and passes it back on the retry; the upload then
first asks YouTube how many bytes it holds (``bytes */total``) and sends only the rest, so
no finished chunk is sent twice. A session YouTube forgot (404: expired) starts over.

- The bytes are read a chunk at a time (``read(offset, length)``: a ranged S3 GET), so
  memory holds one chunk whatever the video's size.
- Opening a session is a ``videos.insert`` call: its 1,600 units are counted by the quota
  keeper before each attempt is sent (a night of uploads cannot pass the day's budget);
  the chunks of an open session cost nothing more.
- Errors and retries are the YouTube client's (``youtube.send_with_retries``): 5xx, rate
  limits and network errors are retried with backoff, a 401 renews the access token once,
  ``quotaExceeded`` raises at once. After a failed chunk the session is asked where it
  stands before anything is resent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import requests
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from chalicelib.trends.exceptions import YouTubeUnavailableError
from chalicelib.trends.quota import QuotaKeeper
from chalicelib.trends.youtube import (
    TIMEOUTS,
    USER_AGENT,
    Auth,
    RetryPolicy,
    error_reason,
    refuse_for_good,
    retry_after,
    send_with_retries,
)

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

DEFAULT_UPLOAD_URL: Final = "https://www.googleapis.com"
UPLOAD_PATH: Final = "/upload/youtube/v3/videos"
METHOD: Final = "videos.insert"
VIDEO_TYPE: Final = "video/mp4"
# Google's chunk granularity: every chunk but the last is a multiple of it.
CHUNK_UNIT: Final = 256 * 1024
DEFAULT_CHUNK_BYTES: Final = 32 * CHUNK_UNIT  # 8 MiB
# What a session PUT answers: more wanted (308), done (200/201), forgotten (404).
RESUME_INCOMPLETE: Final = 308
DONE: Final = frozenset({200, 201})
SESSION_EXPIRED: Final = 404
# A 308's Range: what the session holds, always from byte 0.
_HELD: Final = re.compile(r"bytes=0-(\d+)")


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class VideoSnippet(_Camel):
    """What YouTube accepts in a video's snippet (longer titles or ``<``/``>`` are
    refused by videos.insert)."""

    title: str = Field(min_length=1, max_length=100, pattern=r"^[^<>]*$")
    description: str = Field(default="", max_length=5000, pattern=r"^[^<>]*$")
    tags: tuple[str, ...] = ()
    category_id: str = "22"  # People & Blogs


class VideoStatus(_Camel):
    privacy_status: Literal["private", "public", "unlisted"] = "private"
    self_declared_made_for_kids: bool = False


class VideoMetadata(_Camel):
    """The body of videos.insert (``part=snippet,status``)."""

    snippet: VideoSnippet
    status: VideoStatus = VideoStatus()


@dataclass(frozen=True)
class UploadedVideo:
    video_id: str
    resource: dict[str, Any]  # YouTube's video resource (snippet, status)


@dataclass(frozen=True)
class Chunk:
    """Bytes ``first``..``last`` (inclusive) of a video of ``total`` bytes."""

    first: int
    last: int
    total: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.total}"


def check_chunk_bytes(chunk_bytes: int) -> None:
    """Raises ValueError unless ``chunk_bytes`` is a positive multiple of 256 KiB."""
    if chunk_bytes <= 0 or chunk_bytes % CHUNK_UNIT:
        raise ValueError(f"chunk_bytes must be a positive multiple of {CHUNK_UNIT}")


def next_chunk(offset: int, size: int, chunk_bytes: int) -> Chunk:
    """The chunk to send from ``offset`` (what the session holds, which need not fall on a
    chunk boundary after a cut): ``chunk_bytes`` long, or what is left if less (the last)."""
    if not 0 <= offset < size:
        raise ValueError(f"offset {offset} is outside a video of {size} bytes")
    return Chunk(offset, min(offset + chunk_bytes, size) - 1, size)


def resume_offset(range_header: str | None) -> int:
    """The first byte a session lacks, from a 308's ``Range: bytes=0-n`` (none: nothing
    arrived yet).

    Raises:
        YouTubeUnavailableError: a Range that does not start at byte 0.
    """
    if range_header is None:
        return 0
    held = _HELD.fullmatch(range_header)
    if held is None:
        raise YouTubeUnavailableError(f"{METHOD}: the session answered Range {range_header!r}")
    return int(held[1]) + 1


def upload_video(
    read: Callable[[int, int], bytes],
    size: int,
    metadata: VideoMetadata,
    *,
    auth: Auth,
    quota: QuotaKeeper,
    session: requests.Session,
    session_uri: str | None,
    remember: Callable[[str], None],
    log: Logger,
    upload_url: str = DEFAULT_UPLOAD_URL,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    retry: RetryPolicy | None = None,
) -> UploadedVideo:
    """Upload the ``size`` bytes that ``read(offset, length)`` returns as a video.

    ``session_uri`` is the one an earlier attempt passed to ``remember`` (None at first):
    the upload goes on from what that session holds. ``remember`` is called with each new
    session URI before a byte is sent; store it where the retry will find it. A call that
    raises can be repeated with the remembered URI.

    Raises:
        QuotaBudgetExceededError: opening a session would overspend today's budget.
        QuotaExceededError: YouTube says the project's quota is spent (not retried).
        RequestRejectedError: YouTube refused the metadata or the request (a 4xx).
        YouTubeUnavailableError: 5xx, rate limits or network errors outlasted the retries.
        ValueError: ``chunk_bytes`` is not a multiple of 256 KiB, ``size`` is not positive,
            or ``read`` returned fewer bytes than asked.
    """
    check_chunk_bytes(chunk_bytes)
    if size <= 0:
        raise ValueError("a video has at least one byte")
    policy = retry or RetryPolicy()
    started = time.perf_counter()

    def open_session() -> str:
        uri = _open_session(session, auth, quota, policy, upload_url, size, metadata)
        remember(uri)
        log.info("upload session opened", extra={"bytes": size})
        return uri

    uri = session_uri or open_session()
    ask = session_uri is not None  # what does the earlier attempt's session hold?
    offset = 0
    failures = 0
    renewed = False
    while True:
        asked: float | None = None
        try:
            chunk = None if ask else next_chunk(offset, size, chunk_bytes)
            response = _put(session, auth, uri, size, chunk, read)
        except requests.RequestException as err:
            status, reason, message = None, None, type(err).__name__
        else:
            status = response.status_code
            if status in DONE:
                return _uploaded(response, size, started, log)
            if status == RESUME_INCOMPLETE:
                held = resume_offset(response.headers.get("Range"))
                if held > offset:  # progress: the next failure is the first again
                    failures, renewed = 0, False
                offset, ask = held, False
                log.info(
                    "upload progress",
                    extra={"bytes_held": offset, "bytes": size, "percent": 100 * offset // size},
                )
                continue
            reason, message = error_reason(response)
            if status == 401 and not renewed and auth.refresh():
                renewed = True  # an access token revoked early: renewed, once
                continue
            if status == SESSION_EXPIRED:
                log.warning("upload session expired: starting over", extra={"bytes": size})
                uri = open_session()
            else:
                refuse_for_good(METHOD, status, reason, message)
                asked = retry_after(response)
        failures += 1
        if failures >= policy.max_attempts:
            raise YouTubeUnavailableError(
                f"{METHOD}: the upload stopped at byte {offset} of {size} after {failures} "
                f"failed attempts ({status} {reason}): {message}",
                status,
                reason,
            )
        log.warning(
            "upload interrupted: asking the session what it holds",
            extra={"bytes_held": offset, "status": status, "reason": reason or message},
        )
        policy.pause(failures, asked)
        ask = True


def _open_session(
    session: requests.Session,
    auth: Auth,
    quota: QuotaKeeper,
    policy: RetryPolicy,
    upload_url: str,
    size: int,
    metadata: VideoMetadata,
) -> str:
    """videos.insert: a new session for ``size`` bytes, each attempt paid for first; its
    URI.

    Raises: see ``upload_video``.
    """
    url = f"{upload_url.rstrip('/')}{UPLOAD_PATH}"
    response = send_with_retries(
        METHOD,
        lambda headers: session.post(
            url,
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=metadata.model_dump(mode="json", by_alias=True),
            headers={
                **headers,
                "User-Agent": USER_AGENT,
                "X-Upload-Content-Length": str(size),
                "X-Upload-Content-Type": VIDEO_TYPE,
            },
            timeout=TIMEOUTS,
        ),
        auth=auth,
        policy=policy,
        accepted=DONE,
        before_each=lambda: quota.spend(METHOD),
    )
    location = response.headers.get("Location")
    if not location:
        raise YouTubeUnavailableError(f"{METHOD}: the session was opened without a Location")
    return location


def _put(
    session: requests.Session,
    auth: Auth,
    uri: str,
    size: int,
    chunk: Chunk | None,
    read: Callable[[int, int], bytes],
) -> requests.Response:
    """One PUT to the session: ``chunk``'s bytes, or (None) the question what it holds.

    Raises:
        ValueError: ``read`` returned fewer bytes than asked.
    """
    if chunk is None:
        data, headers = b"", {"Content-Range": f"bytes */{size}"}
    else:
        data = read(chunk.first, chunk.length)
        if len(data) != chunk.length:
            raise ValueError(f"read({chunk.first}, {chunk.length}) returned {len(data)} bytes")
        headers = {"Content-Range": chunk.content_range, "Content-Type": VIDEO_TYPE}
    # The token is checked after the read: a slow read must not outlive it.
    headers |= {**auth.headers(), "User-Agent": USER_AGENT}
    return session.put(uri, data=data, headers=headers, timeout=TIMEOUTS)


def _uploaded(response: requests.Response, size: int, started: float, log: Logger) -> UploadedVideo:
    """The video resource YouTube answered once every byte arrived.

    Raises:
        YouTubeUnavailableError: the answer is not a video resource.
    """
    try:
        resource = response.json()
        video_id = str(resource["id"])
    except (ValueError, KeyError, TypeError) as err:
        raise YouTubeUnavailableError(
            f"{METHOD}: the finished upload answered no video", response.status_code
        ) from err
    log.info(
        "video uploaded",
        extra={
            "video_id": video_id,
            "bytes": size,
            "seconds": round(time.perf_counter() - started, 3),
            "upload_status": (resource.get("status") or {}).get("uploadStatus"),
        },
    )
    return UploadedVideo(video_id, resource)
