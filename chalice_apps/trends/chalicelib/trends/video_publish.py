"""The pipeline's last task: the final video, read from S3 a chunk at a time, uploaded to
YouTube (``upload.upload_video``: resumable; the session URI is kept on the video's item
the moment it opens, so a retried task goes on from what YouTube holds), then the video
recorded as published with its cost (seed 002 §4.5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from chalicelib.trends import names
from chalicelib.trends.credentials import youtube_oauth
from chalicelib.trends.quota import QuotaKeeper
from chalicelib.trends.upload import VideoMetadata, upload_video
from chalicelib.trends.video_script import VideoScript
from chalicelib.trends.video_stages import VideoDeps, load_script, published, stage
from shared.observability import logger

if TYPE_CHECKING:
    from chalicelib.trends.video_wiring import UploadSettings

# YouTube takes up to 500 characters of tags in all: the script's first ones.
MAX_TAGS = 15


def metadata(script: VideoScript, category_id: str, privacy: str) -> VideoMetadata:
    keywords = ", ".join(script.seo_keywords)
    description = script.description + (f"\n\n{keywords}" if keywords else "")
    return VideoMetadata.model_validate(
        {
            "snippet": {
                "title": script.title.replace("<", "").replace(">", ""),
                "description": description.replace("<", "").replace(">", "")[:5000],
                "tags": [*script.tags, *script.seo_keywords][:MAX_TAGS],
                "category_id": category_id,
            },
            "status": {"privacy_status": privacy},
        }
    )


def publish(deps: VideoDeps, settings: UploadSettings, video: dict[str, Any]) -> dict[str, Any]:
    video_id = video["video_id"]
    record = deps.store.get(video_id) or {}
    deps.store.update(video_id, deps.now(), stage="upload", status="uploading")
    bucket, key = video["render"]["uri"].removeprefix("s3://").split("/", 1)
    with stage(deps.metrics, "upload"):
        script = load_script(deps, video_id)
        size = int(deps.s3.head_object(Bucket=bucket, Key=key)["ContentLength"])

        def read(offset: int, length: int) -> bytes:
            last = offset + length - 1
            answer = deps.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={offset}-{last}")
            return bytes(answer["Body"].read())

        def remember(session_uri: str) -> None:
            deps.store.update(video_id, deps.now(), upload_session=session_uri)

        uploaded = upload_video(
            read,
            size,
            metadata(script, deps.config.youtube_category_id, deps.config.privacy_status),
            auth=youtube_oauth(
                SecretsProvider(boto3_client=deps.secrets),
                settings.oauth_secret_name,
                max_age=settings.secrets_cache_seconds,
                token_uri=settings.token_url,
            ),
            quota=QuotaKeeper(deps.store.state_table, deps.config.youtube_quota_units_per_day),
            session=requests.Session(),
            session_uri=record.get("upload_session"),
            remember=remember,
            log=logger(names.TRENDS_METRICS_SERVICE),
            upload_url=settings.upload_url,
            chunk_bytes=deps.config.upload_chunk_bytes,
        )
    return published(deps, video, uploaded.video_id)
