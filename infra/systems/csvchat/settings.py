"""csvchat's settings namespace (``serverless-fleet:csvchat``); defaults follow seed 003
(a 100 MB file uploads in under 30 s; Athena's cost controls)."""

from __future__ import annotations

from pydantic import Field

from infra.settings import CamelModel, QueueSettings, SystemSettings

MIB = 1 << 20


class UploadSettings(CamelModel):
    max_mb: int = Field(default=1024, ge=1, le=5 * 1024)
    # Above this, a file goes up in parts of part_size_mb (S3's minimum part is 5 MB).
    multipart_threshold_mb: int = Field(default=16, ge=5)
    part_size_mb: int = Field(default=8, ge=5, le=512)
    content_types: list[str] = Field(
        default=[
            "text/csv",
            "text/tab-separated-values",
            "text/plain",
            "application/csv",
            "application/vnd.ms-excel",  # what Windows browsers call a .csv file
        ],
        min_length=1,
    )
    extensions: list[str] = Field(default=[".csv", ".tsv", ".txt"], min_length=1)
    # How long a presigned POST or part URL stays valid.
    url_seconds: int = Field(default=3600, ge=60, le=7 * 86400)


class QuotaSettings(CamelModel):
    datasets: int = Field(default=50, ge=1)
    mb: int = Field(default=5 * 1024, ge=1)


class CsvchatSettings(SystemSettings):
    uploads: UploadSettings = UploadSettings()
    # Per user, enforced at upload from the usage the datasets stream keeps.
    quota: QuotaSettings = QuotaSettings()
    # The uploads bucket's queue (one message per new object) and its DLQ. Its consumer
    # rewrites a whole upload into the table's copy, so it may run Lambda's 15 minutes;
    # the visibility timeout is six times that, as AWS advises for a queue's consumer.
    upload_events_queue: QueueSettings = QueueSettings(
        visibility_timeout_seconds=5400, max_receive_count=3, dlq_retention_days=14
    )
    # Seed §6: Athena's cost control, per query (Athena's minimum is 10 MB).
    bytes_scanned_cutoff_mb: int = Field(default=10 * 1024, ge=10)
    # Query results (the results bucket) are deleted after this many days.
    results_retention_days: int = Field(default=7, ge=1, le=365)
    # What a query route returns at most, and how long it waits for Athena.
    query_max_rows: int = Field(default=1000, ge=1, le=1000)
    query_timeout_seconds: float = Field(default=20, gt=0, le=25)
    # Part 2: the Converse model (seeds README: a current Nova 2 Lite inference profile;
    # "global." routes to any region with capacity), how long a query's result is reused
    # for the same SQL over the same dataset, and how many rows a reply keeps in the history.
    model_id: str = Field(default="global.amazon.nova-2-lite-v1:0", min_length=1)
    cache_seconds: int = Field(default=900, ge=0, le=86400)
    preview_rows: int = Field(default=50, ge=1, le=1000)
    # Alarms (seed: chat response times, error rates): the p95 reply above this many ms for
    # three five-minute periods in a row; over a quarter hour, this share of the questions
    # failed by the model, throttled by Bedrock, or refused by the guard (what the model
    # wrote was not one read of the user's table: model drift, or someone probing).
    reply_p95_alarm_ms: int = Field(default=2000, ge=100)
    model_error_alarm_percent: float = Field(default=10, gt=0, le=100)
    throttle_alarm_percent: float = Field(default=10, gt=0, le=100)
    refusal_alarm_percent: float = Field(default=25, gt=0, le=100)
    # Origins besides the API's own that may upload from a browser (a page elsewhere).
    cors_origins: list[str] = Field(default=[])
