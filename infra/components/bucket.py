"""A private S3 bucket for a system's objects: encrypted (SSE-S3), every kind of public
access blocked, tagged, and in protected stacks versioned and ``protect=True``.

Bucket names are global across AWS accounts, so the physical name carries the account id
(``<base>-<stack>-<account>``): two accounts deploying the same stack never collide."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.names import physical


@dataclass
class PrivateBucketArgs:
    base_name: str
    stack: str
    tags: dict[str, str]
    protect: bool


class PrivateBucket(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: PrivateBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:storage:PrivateBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=account.account_id.apply(
                lambda account_id: f"{physical(args.base_name, args.stack)}-{account_id}"
            ),
            # An unprotected (dev) stack may be torn down with its objects.
            force_destroy=not args.protect,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-private",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        if args.protect:
            aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=self.bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=child,
            )
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})

    def objects_arn(self) -> pulumi.Output[str]:
        """``arn:aws:s3:::<bucket>/*``: every object of the bucket (object-level grants)."""
        return pulumi.Output.concat(self.arn, "/*")
