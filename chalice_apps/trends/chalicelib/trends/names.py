"""trends' resource names, key schemas and metric names, written once: the Pulumi program
creates them, the app finds them through ``env``, the tests and the local profile read them
from here (seed 002 §2.1's TrendAnalytics and VideoMetadata).
"""

from __future__ import annotations

from typing import Final

from shared.schema import Index, TableSchema

# Seed 002 §2.1 TrendAnalytics: one item per ranked trend of a run. PK ``topic`` (a
# configured topic category: ``technology``), SK ``run_rank`` = ``<run UTC ISO>#<rank:04d>``,
# so "the latest ranking of a topic" is one Query newest first (the first item names the
# run) and one Query of that run's prefix, in rank order. KeywordIndex answers "how did this
# trend do across runs and topics": PK the trend's keyword, SK the run's time.
TREND_ANALYTICS_TABLE: Final = TableSchema(
    base_name="trend-analytics",
    hash_key="topic",
    range_key="run_rank",
    attributes={"topic": "S", "run_rank": "S", "keyword": "S", "run_at": "S"},
    global_indexes=(Index("KeywordIndex", "keyword", "run_at"),),
    ttl_attribute="expires_at",
)
KEYWORD_INDEX: Final = TREND_ANALYTICS_TABLE.index("KeywordIndex")

# Seed 002 §2.1 VideoMetadata: one snapshot of a video per run that saw it. PK ``video_id``,
# SK ``snapshot_at`` (the run's UTC ISO time), so a video's previous snapshot (velocity
# between two runs) is one Query newest first. CategoryIndex answers "what trended in a
# YouTube category since T" (PK the category id, SK the snapshot time).
VIDEO_METADATA_TABLE: Final = TableSchema(
    base_name="video-metadata",
    hash_key="video_id",
    range_key="snapshot_at",
    attributes={"video_id": "S", "snapshot_at": "S", "category_id": "S"},
    global_indexes=(Index("CategoryIndex", "category_id", "snapshot_at"),),
    ttl_attribute="expires_at",
)
CATEGORY_INDEX: Final = VIDEO_METADATA_TABLE.index("CategoryIndex")

# Counters every invocation shares: the YouTube quota units spent per Pacific day
# (``quota#youtube#<YYYY-MM-DD>``).
TRENDS_STATE_TABLE: Final = TableSchema(
    base_name="trends-state", hash_key="state_key", attributes={"state_key": "S"}
)

# Seed 002 §10.1: the configuration people edit, one item per version (PK the
# configuration's id, ``default``; SK its version, 1, 2, ...): the newest is in force, and
# every item is the audit of the change that made it (who, when, before and after).
CONFIG_TABLE: Final = TableSchema(
    base_name="trends-config",
    hash_key="config_id",
    range_key="version",
    attributes={"config_id": "S", "version": "N"},
)
CONFIG_ID: Final = "default"

# People sign in to the configuration API and its page (Cognito, as csvchat's users do).
USER_POOL: Final = "trends-users"
USER_POOL_CLIENT: Final = "trends-page"
AUTHORIZER: Final = "TrendsUsers"
TRENDS_API: Final = "trends"

# Secrets Manager: the YouTube Data API key for reads, ``{"api_key": "..."}``.
YOUTUBE_API_KEY_SECRET: Final = "trends/youtube-api-key"

TRENDS_ALERTS_TOPIC: Final = "trends-alerts"

# EMF metrics of every trends function: code, alarms and the dashboard name them from here.
TRENDS_METRICS_NAMESPACE: Final = "ServerlessFleet/Trends"
TRENDS_METRICS_SERVICE: Final = "trends-analysis"

# Part 2, the videos the pipeline makes: one item per video (PK ``video_id`` =
# ``<night>-<topic>-<n>``, the night its New York date), holding its status, each stage's
# output, its cost and its failure. NightIndex lists a night's videos (PK the night).
VIDEOS_TABLE: Final = TableSchema(
    base_name="trends-videos",
    hash_key="video_id",
    attributes={"video_id": "S", "night": "S"},
    global_indexes=(Index("NightIndex", "night", "video_id"),),
)
NIGHT_INDEX: Final = VIDEOS_TABLE.index("NightIndex")
# Secrets Manager: the OAuth2 credentials uploads use (``credentials.OAUTH_FIELDS``).
YOUTUBE_OAUTH_SECRET: Final = "trends/youtube-oauth"
VIDEOS_BUCKET: Final = "trends-videos"
PIPELINE_STATE_MACHINE: Final = "trends-video-pipeline"
# The queue MediaConvert's job state changes reach the pipeline through: its key in the app
# (``@app.on_sqs_message(queue=...)``) and its physical base name.
RENDER_EVENTS_KEY: Final = "render-events"
RENDER_EVENTS_QUEUE: Final = "trends-render-events"
RENDER_EVENTS_DLQ: Final = "trends-render-events-dlq"
# The pipeline's stages, as the StageDuration and StageFailures metrics' ``stage`` dimension.
STAGES: Final = ("script", "narration", "clips", "render", "upload")
