"""Where the nightly video pipeline keeps its files, and the role MediaConvert renders with.

The videos bucket holds two prefixes: ``work/`` (clips, narration, render intermediates),
only needed while a night's execution and its retries run, so it expires; and ``videos/``
(the finished videos), kept, moved to Standard-IA once nobody watches them from S3 any
more. MediaConvert reads ``work/`` and writes both prefixes with a role of its own, never
with the functions' roles.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.trends import names
from infra.components.bucket import PrivateBucket, PrivateBucketArgs
from infra.components.data_bucket import ABORT_INCOMPLETE_UPLOADS_DAYS
from shared.names import physical

WORK_PREFIX = "work/"
VIDEOS_PREFIX = "videos/"
# In a versioned (protected) bucket, an expired intermediate leaves a noncurrent version
# behind: it goes a day later.
NONCURRENT_WORK_DAYS = 1

Rule = aws.s3.BucketLifecycleConfigurationRuleArgs
Filter = aws.s3.BucketLifecycleConfigurationRuleFilterArgs


@dataclass
class VideoResourcesArgs:
    stack: str
    tags: dict[str, str]
    protect: bool
    intermediate_retention_days: int
    finals_infrequent_access_days: int


def lifecycle_rules(args: VideoResourcesArgs) -> list[Rule]:
    """Intermediates expire, finals move to Standard-IA, abandoned multipart uploads (a
    render or upload cut off) stop being billed after a day."""
    return [
        Rule(
            id="expire-intermediates",
            status="Enabled",
            filter=Filter(prefix=WORK_PREFIX),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                days=args.intermediate_retention_days
            ),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=NONCURRENT_WORK_DAYS
            ),
        ),
        Rule(
            id="finals-to-infrequent-access",
            status="Enabled",
            filter=Filter(prefix=VIDEOS_PREFIX),
            transitions=[
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                    days=args.finals_infrequent_access_days, storage_class="STANDARD_IA"
                )
            ],
        ),
        Rule(
            id="abort-incomplete-uploads",
            status="Enabled",
            filter=Filter(prefix=""),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
            ),
        ),
    ]


class VideoResources(pulumi.ComponentResource):
    """The videos bucket (``bucket``) and MediaConvert's service role (``mediaconvert_role``)."""

    def __init__(
        self, name: str, args: VideoResourcesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:trends:VideoResources", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = PrivateBucket(
            f"{name}-videos",
            PrivateBucketArgs(names.VIDEOS_BUCKET, args.stack, args.tags, args.protect),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-videos-lifecycle",
            bucket=self.bucket.bucket.id,
            rules=lifecycle_rules(args),
            opts=child,
        )
        self.mediaconvert_role = aws.iam.Role(
            f"{name}-mediaconvert",
            name=physical("trends-mediaconvert", args.stack),
            description="MediaConvert renders the pipeline's videos with this role.",
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "mediaconvert.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            tags=args.tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-mediaconvert-policy",
            name=physical("trends-mediaconvert-policy", args.stack),
            role=self.mediaconvert_role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadIntermediates",
                            "Effect": "Allow",
                            "Action": ["s3:GetObject"],
                            "Resource": [self.objects_arn(WORK_PREFIX)],
                        },
                        {
                            "Sid": "WriteRenders",
                            "Effect": "Allow",
                            "Action": ["s3:PutObject"],
                            "Resource": [
                                self.objects_arn(WORK_PREFIX),
                                self.objects_arn(VIDEOS_PREFIX),
                            ],
                        },
                    ],
                }
            ),
            opts=child,
        )
        self.bucket_name = self.bucket.name
        self.register_outputs(
            {"bucket": self.bucket_name, "mediaconvert_role": self.mediaconvert_role.arn}
        )

    def objects_arn(self, prefix: str) -> pulumi.Output[str]:
        """``arn:aws:s3:::<bucket>/<prefix>*``: the objects under one prefix."""
        return pulumi.Output.concat(self.bucket.arn, f"/{prefix}*")
