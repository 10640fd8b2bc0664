"""A DynamoDB table with the options every table here has: on demand, encrypted, tagged, and
in protected stacks deletion protection, point-in-time recovery and ``protect=True``.

The keys, indexes and TTL come from the system's ``TableSchema`` (its ``names.py``), which
the app's repositories read too, so a key or index name is written once."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.names import physical
from shared.schema import TableSchema


@dataclass
class TableArgs:
    schema: TableSchema
    stack: str
    tags: dict[str, str]
    protect: bool
    # A stream of item changes (NEW_AND_OLD_IMAGES and the like) for a consumer; None: none.
    stream_view_type: str | None = None


class Table(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: TableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:storage:Table", name, None, opts)
        schema = args.schema
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=physical(schema.base_name, args.stack),
            billing_mode="PAY_PER_REQUEST",
            hash_key=schema.hash_key,
            range_key=schema.range_key,
            attributes=[
                aws.dynamodb.TableAttributeArgs(name=n, type=t)
                for n, t in schema.attributes.items()
            ],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=i.name,
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                            attribute_name=attribute, key_type=key_type
                        )
                        for attribute, key_type in ((i.hash_key, "HASH"), (i.range_key, "RANGE"))
                        if attribute
                    ],
                    projection_type=i.projection,
                )
                for i in schema.global_indexes
            ]
            or None,
            local_secondary_indexes=[
                aws.dynamodb.TableLocalSecondaryIndexArgs(
                    name=i.name, range_key=i.range_key or "", projection_type=i.projection
                )
                for i in schema.local_indexes
            ]
            or None,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=schema.ttl_attribute, enabled=True)
            if schema.ttl_attribute
            else None,
            stream_enabled=bool(args.stream_view_type) or None,
            stream_view_type=args.stream_view_type,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=args.protect),
            deletion_protection_enabled=args.protect,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        self.stream_arn = self.table.stream_arn
        self.register_outputs({"name": self.name, "arn": self.arn})

    def index_arn(self, index: str) -> pulumi.Output[str]:
        """The ARN of one of the table's indexes (for a Query-only grant)."""
        return pulumi.Output.concat(self.arn, f"/index/{index}")
