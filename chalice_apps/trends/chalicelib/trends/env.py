"""Names of the environment variables the Pulumi program sets on trends' functions.

Infra writes them, the app reads them, tests set them; nobody spells them twice. The
platform's own variables are in ``shared.env``.
"""

from __future__ import annotations

from typing import Final

TREND_ANALYTICS_TABLE: Final = "TREND_ANALYTICS_TABLE"
VIDEO_METADATA_TABLE: Final = "VIDEO_METADATA_TABLE"
STATE_TABLE: Final = "TRENDS_STATE_TABLE"
CONFIG_TABLE: Final = "TRENDS_CONFIG_TABLE"
# The app client the page signs in with (its ID tokens' ``aud``).
USER_POOL_CLIENT_ID: Final = "TRENDS_USER_POOL_CLIENT_ID"
YOUTUBE_SECRET_NAME: Final = "YOUTUBE_SECRET_NAME"
# JSON object: the analysis' settings (``config.AnalysisConfig``, camelCase).
ANALYSIS_CONFIG: Final = "TRENDS_ANALYSIS_CONFIG"
# Point the client at another YouTube Data API (the local stack's fake); unset in AWS:
# https://www.googleapis.com/youtube/v3.
YOUTUBE_API_URL: Final = "YOUTUBE_API_URL"
# Point the upload (videos.insert, resumable) at another host (the local stack's fake);
# unset in AWS: https://www.googleapis.com (``upload.DEFAULT_UPLOAD_URL``).
YOUTUBE_UPLOAD_URL: Final = "YOUTUBE_UPLOAD_URL"
# The video pipeline (part 2): its generated videos' table, the bucket its media go through,
# the alerts topic failures are told on, and its settings (``pipeline_config``, camelCase).
VIDEOS_TABLE: Final = "TRENDS_VIDEOS_TABLE"
VIDEOS_BUCKET: Final = "TRENDS_VIDEOS_BUCKET"
ALERTS_TOPIC_ARN: Final = "TRENDS_ALERTS_TOPIC_ARN"
PIPELINE_CONFIG: Final = "TRENDS_PIPELINE_CONFIG"
# The role MediaConvert assumes to read and write the videos bucket.
MEDIACONVERT_ROLE_ARN: Final = "TRENDS_MEDIACONVERT_ROLE_ARN"
# YouTube's OAuth2 credentials for uploads (``{"client_id", "client_secret",
# "refresh_token"}``) and Google's token endpoint (the local stack's fake; unset in AWS:
# ``credentials.TOKEN_URI``).
YOUTUBE_OAUTH_SECRET_NAME: Final = "YOUTUBE_OAUTH_SECRET_NAME"
YOUTUBE_TOKEN_URL: Final = "YOUTUBE_TOKEN_URL"
