"""A private bucket (``bucket.py``) that people upload to from a page, or a service writes
results into: always versioned, CORS for the page's origins, lifecycle rules, and
notifications of new objects to a queue.

Objects arrive through presigned requests from a browser, so the bucket answers CORS for
the given origins only; a multipart upload a client abandons is aborted after a day
(parts are billed until then); old versions go after ``noncurrent_days``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components.bucket import PrivateBucket, PrivateBucketArgs
from infra.components.queue import QueueWithDlq

ABORT_INCOMPLETE_UPLOADS_DAYS = 1


@dataclass
class DataBucketArgs:
    base_name: str
    stack: str
    tags: dict[str, str]
    protect: bool
    # Current objects expire after this many days (query results); None: kept.
    expire_days: int | None = None
    noncurrent_days: int = 30


class DataBucket(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: DataBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:storage:DataBucket", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        self.private = PrivateBucket(
            f"{name}-private",
            PrivateBucketArgs(args.base_name, args.stack, args.tags, args.protect),
            opts=child,
        )
        bucket = self.private.bucket
        if not args.protect:  # a protected bucket is versioned by PrivateBucket already
            aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=child,
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_days
                    ),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.expire_days
                    )
                    if args.expire_days
                    else None,
                )
            ],
            opts=child,
        )
        self.name = self.private.name
        self.arn = self.private.arn
        self.register_outputs({"name": self.name, "arn": self.arn})

    def allow_origins(
        self,
        origins: pulumi.Input[Sequence[pulumi.Input[str]]],
        methods: Sequence[str] = ("GET", "POST", "PUT"),
    ) -> None:
        """Answer CORS for presigned requests from these origins (a page's) only."""
        aws.s3.BucketCorsConfiguration(
            f"{self._name}-cors",
            bucket=self.private.bucket.id,
            cors_rules=[
                aws.s3.BucketCorsConfigurationCorsRuleArgs(
                    allowed_origins=origins,
                    allowed_methods=list(methods),
                    allowed_headers=["*"],
                    expose_headers=["ETag"],  # a multipart upload's client reads each part's
                    max_age_seconds=3000,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def objects_arn(self, prefix: str = "") -> pulumi.Output[str]:
        """``arn:aws:s3:::<bucket>/<prefix>*`` (object-level grants)."""
        return pulumi.Output.concat(self.arn, f"/{prefix}*")

    def notify(
        self, queue: QueueWithDlq, prefix: str, events: Sequence[str] = ("s3:ObjectCreated:*",)
    ) -> None:
        """Send an event to ``queue`` for each object created under ``prefix``: the queue's
        policy lets exactly this bucket send (S3 checks it when the notification is set)."""
        policy = aws.sqs.QueuePolicy(
            f"{self._name}-notify-policy",
            queue_url=queue.url,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "BucketNotifies",
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": queue.arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": self.arn}},
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketNotification(
            f"{self._name}-notifications",
            bucket=self.private.bucket.id,
            queues=[
                aws.s3.BucketNotificationQueueArgs(
                    queue_arn=queue.arn, events=list(events), filter_prefix=prefix
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
