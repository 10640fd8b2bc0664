"""The YouTube Data API v3 as ``../shared/specs/trends.md`` describes it and its real answers
show (``../shared/realdata/youtube/``), for the reads the trend analysis makes:

- ``GET /youtube/v3/videos?part=snippet,statistics,contentDetails&chart=mostPopular
  &regionCode=&videoCategoryId=&maxResults=&pageToken=``: a ``youtube#videoListResponse``
  (``items``, ``nextPageToken``, ``pageInfo``); counts are strings, ``likeCount`` and
  ``tags`` are missing where the video hides or lacks them; a chart the fake does not hold
  is a 404 ``videoChartNotFound``, an unknown page token a 400 ``invalidPageToken``;
- ``GET /youtube/v3/videoCategories?part=snippet&regionCode=``: the categories, titles
  repeating under different ids as the real list does (Comedy is 23 and 34);
- the key in ``X-Goog-Api-Key`` (or ``key=``): any other is a 400 ``keyInvalid``; or an
  OAuth2 access token (``Authorization: Bearer``) the fake's token endpoint issued: an
  unknown or expired one is a 401 ``authError``;
- ``POST /token``: Google's refresh-token grant (form ``grant_type=refresh_token``,
  ``client_id``, ``client_secret``, ``refresh_token``) answers an access token for
  ``token_lifetime`` seconds; an unknown client or refresh token is a 400
  ``invalid_grant``/``invalid_client`` as Google answers.

And the resumable upload of ``videos.insert`` (the OAuth access token required):

- ``POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` with the
  metadata as JSON and ``X-Upload-Content-Length``: a 200 whose ``Location`` is the session
  URI (the fake's own path: clients treat it as opaque, as Google says);
- ``PUT <session URI>`` with ``Content-Range: bytes a-b/total``: every chunk but the last
  a multiple of 256 KiB (else a 400), a ``308`` with ``Range: bytes=0-n`` while bytes are
  missing, then a 200 with the video resource; with an empty body and ``bytes */total``
  what the session holds; a 404 once the session expired (``expire_uploads``);
- each finished upload lands in the fake's uploads directory as ``<video id>.mp4`` with
  ``<video id>.json`` (its metadata and resource); ``GET /_fake/uploads`` lists every
  session with the byte ranges its PUTs brought, in order (a resend shows as an overlap);
- ``cut_upload`` (or ``POST /_faults`` with ``after_bytes``) cuts a chunk off after that
  many bytes: the session keeps those, the client gets a 503 or, with
  ``drop_after_handling``, a closed connection.

Statistics grow with the fake's clock (each video gains views at its own pace), so two runs
an hour apart see different counts. ``quota_exceeded`` and ``rate_limited`` are the faults
YouTube answers when the day's quota is spent or calls come too fast (``fail_next``, or
``POST /_faults`` with the same body).
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Response, jsonify, request

from devstack.fakes.base import FakeServer, Fault
from devstack.fakes.faults import ANSWER, Action

API_PREFIX = "/youtube/v3"
UPLOAD_PATH = "/upload/youtube/v3/videos"
SESSIONS_PATH = "/upload/youtube/v3/sessions/"
INSPECT_UPLOADS_PATH = "/_fake/uploads"
# Google's chunk granularity: every chunk but the last is a multiple of it.
CHUNK_UNIT = 256 * 1024
PRIVACY_STATUSES = frozenset({"private", "public", "unlisted"})
_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+)")
MAX_RESULTS = 50
DEFAULT_RESULTS = 5
ALL_CATEGORIES = "0"

# The US list's ids and titles (assignable or not), as videoCategories.list answers them.
CATEGORIES: tuple[tuple[str, str, bool], ...] = (
    ("1", "Film & Animation", True),
    ("2", "Autos & Vehicles", True),
    ("10", "Music", True),
    ("15", "Pets & Animals", True),
    ("17", "Sports", True),
    ("19", "Travel & Events", True),
    ("20", "Gaming", True),
    ("22", "People & Blogs", True),
    ("23", "Comedy", True),
    ("24", "Entertainment", True),
    ("25", "News & Politics", True),
    ("26", "Howto & Style", True),
    ("27", "Education", True),
    ("28", "Science & Technology", True),
    ("29", "Nonprofits & Activism", True),
    ("30", "Movies", False),
    ("34", "Comedy", False),
    ("44", "Trailers", False),
)


def google_error(status: int, reason: str, message: str, domain: str = "youtube") -> dict[str, Any]:
    """A Google API error body."""
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


def quota_exceeded(path_contains: str = API_PREFIX) -> Fault:
    """What YouTube answers once the project's daily quota is spent."""
    message = (
        "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.'
    )
    return Fault(path_contains, 403, google_error(403, "quotaExceeded", message, "youtube.quota"))


def rate_limited(path_contains: str = API_PREFIX) -> Fault:
    """What YouTube answers to calls that come too fast (worth retrying)."""
    return Fault(
        path_contains,
        403,
        google_error(403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
    )


def cut_upload(after_bytes: int, action: Action = ANSWER) -> Fault:
    """An upload chunk cut off after ``after_bytes`` bytes: the session keeps them, and the
    client gets YouTube's 503 ``backendError`` (or, with ``drop_after_handling``, a closed
    connection and no answer)."""
    return Fault(
        SESSIONS_PATH,
        503,
        google_error(503, "backendError", "Backend Error", "global"),
        action=action,
        after_bytes=after_bytes,
    )


@dataclass
class FakeUpload:
    """One resumable upload session: what was declared, what arrived, where it is kept."""

    upload_id: str
    size: int
    content_type: str
    metadata: dict[str, Any]
    part_file: Path
    # Every byte range a PUT brought (inclusive), in order: a resend shows as an overlap.
    received: list[tuple[int, int]] = field(default_factory=list)
    stored: int = 0  # bytes 0..stored-1 are kept
    video: dict[str, Any] | None = None  # the resource, once every byte arrived
    expired: bool = False

    def listing(self) -> dict[str, Any]:
        return {
            "upload_id": self.upload_id,
            "video_id": self.video["id"] if self.video else None,
            "size": self.size,
            "content_type": self.content_type,
            "stored": self.stored,
            "received": [list(r) for r in self.received],
            "complete": self.video is not None,
            "expired": self.expired,
            "metadata": self.metadata,
        }


@dataclass
class FakeVideo:
    """A video of a chart: what the real resource holds, and how fast its counts grow."""

    id: str
    title: str
    category_id: str
    published_at: datetime
    channel_id: str = "UCdemo0000000000000000"
    channel_title: str = "Demo Channel"
    description: str = ""
    tags: tuple[str, ...] = ()
    duration: str = "PT8M30S"
    views_per_hour: float = 10_000.0
    like_share: float | None = 0.04  # None: likes hidden
    comment_share: float | None = 0.004  # None: comments off
    base_views: int = 0

    def resource(self, now: datetime) -> dict[str, Any]:
        hours = max((now - self.published_at).total_seconds() / 3600, 0.0)
        views = self.base_views + int(self.views_per_hour * hours)
        statistics = {"viewCount": str(views), "favoriteCount": "0"}
        if self.like_share is not None:
            statistics["likeCount"] = str(math.floor(views * self.like_share))
        if self.comment_share is not None:
            statistics["commentCount"] = str(math.floor(views * self.comment_share))
        snippet: dict[str, Any] = {
            "publishedAt": self.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channelId": self.channel_id,
            "title": self.title,
            "description": self.description,
            "thumbnails": {},
            "channelTitle": self.channel_title,
            "categoryId": self.category_id,
            "liveBroadcastContent": "none",
            "localized": {"title": self.title, "description": self.description},
        }
        if self.tags:
            snippet["tags"] = list(self.tags)
        return {
            "kind": "youtube#video",
            "etag": f"etag-{self.id}-{views}",
            "id": self.id,
            "snippet": snippet,
            "contentDetails": {
                "duration": self.duration,
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": True,
                "contentRating": {},
                "projection": "rectangular",
            },
            "statistics": statistics,
        }


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    """Raises ValueError for a token this fake did not hand out."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    if not raw.startswith("o"):
        raise ValueError(token)
    return int(raw[1:])


class FakeYouTube(FakeServer):
    def __init__(
        self,
        api_keys: set[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        uploads_dir: Path | None = None,
    ) -> None:
        """``uploads_dir``: where finished uploads land (a new temporary directory if not
        given)."""
        super().__init__("fake-youtube")
        self.api_keys = api_keys
        self.clock = clock
        # OAuth2: refresh tokens by client (id, secret), and the access tokens issued.
        self.refresh_tokens: dict[tuple[str, str], set[str]] = {}
        self.token_lifetime = 3599
        self.access_tokens: dict[str, datetime] = {}
        self._tokens_lock = threading.Lock()
        # By region: the videos of its chart (category "0"), each in its own category's too.
        self.regions: dict[str, list[FakeVideo]] = {}
        self.app.add_url_rule(f"{API_PREFIX}/videos", view_func=self._videos)
        self.app.add_url_rule(f"{API_PREFIX}/videoCategories", view_func=self._categories)
        self.app.add_url_rule("/token", view_func=self._token, methods=["POST"])
        self.uploads_dir = uploads_dir or Path(tempfile.mkdtemp(prefix="fake-youtube-"))
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.uploads: dict[str, FakeUpload] = {}
        self._uploads_lock = threading.Lock()
        self.app.add_url_rule(UPLOAD_PATH, view_func=self._start_upload, methods=["POST"])
        self.app.add_url_rule(
            f"{SESSIONS_PATH}<upload_id>", view_func=self._put_upload, methods=["PUT"]
        )
        self.app.add_url_rule(INSPECT_UPLOADS_PATH, view_func=self._list_uploads)

    def add(self, region: str, videos: list[FakeVideo]) -> None:
        """Put videos on ``region``'s chart (in this order: most popular first)."""
        self.regions.setdefault(region, []).extend(videos)

    def _refuse(self, status: int, reason: str, message: str) -> Response:
        response = jsonify(google_error(status, reason, message))
        response.status_code = status
        return response

    def grant(self, client_id: str, client_secret: str, refresh_token: str) -> None:
        """Accept ``refresh_token`` from this OAuth client (an operator's consent)."""
        self.refresh_tokens.setdefault((client_id, client_secret), set()).add(refresh_token)

    def revoke_access_tokens(self) -> None:
        """Every access token issued stops working (a password change, a revocation)."""
        with self._tokens_lock:
            self.access_tokens.clear()

    def _token(self) -> tuple[Response, int]:
        form = request.form
        client = (form.get("client_id", ""), form.get("client_secret", ""))
        if form.get("grant_type") != "refresh_token":
            return jsonify({"error": "unsupported_grant_type"}), 400
        if client not in self.refresh_tokens:
            return jsonify({"error": "invalid_client", "error_description": "Unauthorized"}), 401
        if form.get("refresh_token") not in self.refresh_tokens[client]:
            body = {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
            return jsonify(body), 400
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._tokens_lock:
            self.access_tokens[token] = self.clock() + timedelta(seconds=self.token_lifetime)
        answer = {
            "access_token": token,
            "expires_in": self.token_lifetime,
            "scope": "https://www.googleapis.com/auth/youtube.upload",
            "token_type": "Bearer",
        }
        return jsonify(answer), 200

    def expire_uploads(self) -> None:
        """Every open upload session expires (Google keeps one for a week)."""
        with self._uploads_lock:
            for upload in self.uploads.values():
                upload.expired = upload.video is None

    def _token_refused(self) -> Response | None:
        """None when the request carries a live access token of the token endpoint."""
        bearer = request.headers.get("Authorization", "")
        if not bearer.startswith("Bearer "):
            return self._refuse(401, "required", "Login Required.")
        with self._tokens_lock:
            expires = self.access_tokens.get(bearer.removeprefix("Bearer "))
        if expires is not None and expires > self.clock():
            return None
        return self._refuse(401, "authError", "Invalid Credentials")

    def _key_refused(self) -> Response | None:
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return self._token_refused()
        key = request.headers.get("X-Goog-Api-Key") or request.args.get("key")
        if key in self.api_keys:
            return None
        return self._refuse(400, "keyInvalid", "API key not valid. Please pass a valid API key.")

    def _videos(self) -> Response:
        refused = self._key_refused()
        if refused is not None:
            return refused
        args = request.args
        if args.get("chart") != "mostPopular":
            return self._refuse(400, "missingRequiredParameter", "No filter selected.")
        region = args.get("regionCode", "US")
        category = args.get("videoCategoryId", ALL_CATEGORIES)
        held = self.regions.get(region)
        videos = [v for v in held or [] if category in (ALL_CATEGORIES, v.category_id)]
        if held is None or not videos:
            return self._refuse(
                404,
                "videoChartNotFound",
                "The requested video chart is not supported or is not available.",
            )
        try:
            size = min(max(int(args.get("maxResults", DEFAULT_RESULTS)), 1), MAX_RESULTS)
            offset = _offset(args["pageToken"]) if args.get("pageToken") else 0
        except (ValueError, UnicodeDecodeError):
            return self._refuse(400, "invalidPageToken", "The page token is not valid.")
        now = self.clock()
        body: dict[str, Any] = {
            "kind": "youtube#videoListResponse",
            "etag": f"chart-{region}-{category}-{offset}",
            "items": [v.resource(now) for v in videos[offset : offset + size]],
            "pageInfo": {"totalResults": len(videos), "resultsPerPage": size},
        }
        if offset + size < len(videos):
            body["nextPageToken"] = _token(offset + size)
        if offset:
            body["prevPageToken"] = _token(max(offset - size, 0))
        return jsonify(body)

    def _categories(self) -> Response:
        refused = self._key_refused()
        if refused is not None:
            return refused
        return jsonify(
            {
                "kind": "youtube#videoCategoryListResponse",
                "etag": "categories",
                "items": [
                    {
                        "kind": "youtube#videoCategory",
                        "etag": f"category-{cid}",
                        "id": cid,
                        "snippet": {
                            "title": title,
                            "assignable": assignable,
                            "channelId": "UCBR8-60-B28hp2BmDPdntcQ",
                        },
                    }
                    for cid, title, assignable in CATEGORIES
                ],
            }
        )

    def _start_upload(self) -> Response:
        """``videos.insert``, resumable: validate the metadata, open a session."""
        refused = self._token_refused()
        if refused is not None:
            return refused
        if request.args.get("uploadType") != "resumable":
            return self._refuse(400, "badRequest", "This fake takes resumable uploads only.")
        length = request.headers.get("X-Upload-Content-Length", "")
        if not length.isdigit() or int(length) == 0:
            return self._refuse(400, "badRequest", "X-Upload-Content-Length is required.")
        content_type = request.headers.get("X-Upload-Content-Type", "video/*")
        if not content_type.startswith("video/"):
            return self._refuse(400, "badRequest", f"{content_type} is not a video type.")
        metadata: Any = request.get_json(silent=True)
        problem = _metadata_problem(metadata)
        if problem is not None:
            return self._refuse(400, *problem)
        upload_id = secrets.token_urlsafe(16)
        upload = FakeUpload(
            upload_id,
            int(length),
            content_type,
            metadata,
            self.uploads_dir / f"{upload_id}.part",
        )
        upload.part_file.write_bytes(b"")
        with self._uploads_lock:
            self.uploads[upload_id] = upload
        response = Response(status=200)
        response.headers["Location"] = f"{request.host_url.rstrip('/')}{SESSIONS_PATH}{upload_id}"
        response.headers["X-GUploader-UploadID"] = upload_id
        return response

    def _put_upload(self, upload_id: str) -> Response:
        """A chunk (``bytes a-b/total``) or the question what the session holds
        (``bytes */total``, empty body)."""
        refused = self._token_refused()
        if refused is not None:
            return refused
        data = self.body()
        with self._uploads_lock:
            upload = self.uploads.get(upload_id)
            if upload is None or upload.expired:
                return self._refuse(404, "notFound", "Not Found")
            match = _RANGE.fullmatch(request.headers.get("Content-Range", ""))
            if match is None or int(match[3]) != upload.size:
                return self._refuse(
                    400, "badRequest", f"Content-Range must be bytes a-b/{upload.size}."
                )
            if match[1] is not None:
                problem = self._keep(upload, int(match[1]), int(match[2]), data)
                if problem is not None:
                    return self._refuse(400, "badContent", problem)
            return self._where(upload)

    def _keep(self, upload: FakeUpload, first: int, last: int, data: bytes) -> str | None:
        """Keep the bytes of a chunk that extend what the session holds (all of a chunk
        cut short that arrived); the problem with the chunk, if any."""
        if data:
            upload.received.append((first, first + len(data) - 1))
        if not first <= last < upload.size:
            return f"bytes {first}-{last} are outside the upload of {upload.size} bytes."
        if first > upload.stored:
            return f"bytes {upload.stored}-{first - 1} are missing: resume from {upload.stored}."
        whole = len(data) == last - first + 1
        if whole and last + 1 < upload.size and len(data) % CHUNK_UNIT:
            return (
                f"Invalid request. The number of bytes uploaded is required to be a multiple "
                f"of {CHUNK_UNIT}, except for the final request. The received request "
                f"contained {len(data)} bytes."
            )
        fresh = data[upload.stored - first :]
        with upload.part_file.open("ab") as part:
            part.write(fresh)
        upload.stored += len(fresh)
        if not whole:
            return f"the body has {len(data)} bytes; the range says {last - first + 1}."
        if upload.stored >= upload.size and upload.video is None:
            self._finish(upload)
        return None

    def _finish(self, upload: FakeUpload) -> None:
        """Every byte arrived: the video file, its metadata, its resource."""
        video_id = secrets.token_urlsafe(8)[:11]
        snippet = upload.metadata["snippet"]
        status = upload.metadata.get("status") or {}
        upload.video = {
            "kind": "youtube#video",
            "etag": f"etag-{video_id}",
            "id": video_id,
            "snippet": {
                "publishedAt": self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "channelId": "UCdemo0000000000000000",
                "title": snippet["title"],
                "description": snippet.get("description", ""),
                "tags": snippet.get("tags") or [],
                "categoryId": snippet.get("categoryId", "22"),
                "channelTitle": "Demo Channel",
                "liveBroadcastContent": "none",
                "localized": {
                    "title": snippet["title"],
                    "description": snippet.get("description", ""),
                },
            },
            "status": {
                "uploadStatus": "uploaded",
                "privacyStatus": status.get("privacyStatus", "public"),
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "selfDeclaredMadeForKids": bool(status.get("selfDeclaredMadeForKids", False)),
            },
        }
        upload.part_file.rename(self.uploads_dir / f"{video_id}.mp4")
        (self.uploads_dir / f"{video_id}.json").write_text(
            json.dumps({"metadata": upload.metadata, "resource": upload.video}, indent=2)
        )

    def _where(self, upload: FakeUpload) -> Response:
        if upload.video is not None:
            return jsonify(upload.video)
        response = Response(status=308)
        if upload.stored:
            response.headers["Range"] = f"bytes=0-{upload.stored - 1}"
        return response

    def _list_uploads(self) -> Response:
        """Fake-only: every upload session, its bytes received and where it stands."""
        with self._uploads_lock:
            listing = [u.listing() for u in self.uploads.values()]
        return jsonify({"uploads": listing})


def _metadata_problem(metadata: Any) -> tuple[str, str] | None:
    """What YouTube's videos.insert refuses in the metadata: (reason, message)."""
    snippet = metadata.get("snippet") if isinstance(metadata, dict) else None
    if not isinstance(snippet, dict):
        return "badRequest", "The request metadata must have a snippet."
    title = snippet.get("title")
    if not isinstance(title, str) or not 0 < len(title) <= 100 or {"<", ">"} & set(title):
        return "invalidTitle", "The request metadata specifies an invalid video title."
    description = snippet.get("description", "")
    if not isinstance(description, str) or len(description.encode()) > 5000:
        return "invalidDescription", "The request metadata specifies an invalid description."
    assignable = {cid for cid, _title, can in CATEGORIES if can}
    if snippet.get("categoryId", "22") not in assignable:
        return "invalidCategoryId", "The request metadata specifies an invalid category."
    status = metadata.get("status") or {}
    if status.get("privacyStatus", "public") not in PRIVACY_STATUSES:
        return "invalidPrivacyStatus", "The request metadata specifies an invalid privacy."
    return None


# Demo videos for the local stack: themes per category, each with several videos so the
# grouping finds trends.
_DEMO = (
    (
        "28",
        "ai agents",
        ("AI agents explained", "Building AI agents in Python", "AI agents vs chatbots"),
    ),
    ("28", "foldable phone", ("Foldable phone review", "Is the foldable phone worth it?")),
    ("27", "black holes", ("Black holes in ten minutes", "What happens inside black holes")),
    ("27", "spanish lessons", ("Spanish lessons for beginners", "Spanish lessons: the past tense")),
    ("19", "kyoto travel", ("Kyoto travel guide", "Kyoto travel on a budget")),
    ("26", "home workout", ("Home workout for health", "20 minute home workout, better sleep")),
    (
        "25",
        "stock market",
        (
            "Stock market today: investing after the rate cut",
            "Index funds and the stock market for investing",
        ),
    ),
    (
        "22",
        "personal finance",
        ("Personal finance: a budget that works", "Personal finance mistakes with money"),
    ),
)


def demo_videos(now: datetime) -> list[FakeVideo]:
    """The local stack's chart: themed videos published in the last two days."""
    videos = []
    number = 0
    for category, theme, titles in _DEMO:
        for title in titles:
            number += 1
            videos.append(
                FakeVideo(
                    id=f"demo{number:07d}",
                    title=title,
                    category_id=category,
                    published_at=now - timedelta(hours=6 + 3 * number),
                    description=f"A video about {theme}. Subscribe for more.",
                    tags=(theme, *theme.split()),
                    views_per_hour=2_000.0 * (1 + number % 5),
                    like_share=None if number % 7 == 0 else 0.03 + 0.005 * (number % 4),
                )
            )
    return videos
