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
