"""A DynamoDB table with the options every table here has: on demand, encrypted, tagged, and
in protected stacks deletion protection, point-in-time recovery and ``protect=True``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

AttributeType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass
class TableArgs:
    table_name: str
    hash_key: str
    attributes: dict[str, AttributeType]
    tags: dict[str, str]
    protect: bool
    range_key: str | None = None
    global_indexes: list[Index] = field(default_factory=list)
    local_indexes: list[Index] = field(default_factory=list)
    ttl_attribute: str | None = None


class Table(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: TableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:storage:Table", name, None, opts)
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=args.hash_key,
            range_key=args.range_key,
            attributes=[
                aws.dynamodb.TableAttributeArgs(name=n, type=t) for n, t in args.attributes.items()
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
                for i in args.global_indexes
            ]
            or None,
            local_secondary_indexes=[
                aws.dynamodb.TableLocalSecondaryIndexArgs(
                    name=i.name, range_key=i.range_key or "", projection_type=i.projection
                )
                for i in args.local_indexes
            ]
            or None,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=args.ttl_attribute, enabled=True)
            if args.ttl_attribute
            else None,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=args.protect),
            deletion_protection_enabled=args.protect,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
