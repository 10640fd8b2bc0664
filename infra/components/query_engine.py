"""One Glue database and one Athena workgroup for a system's stack: where its tables are
declared and how every query runs.

The workgroup's configuration is enforced (a client cannot override it): results go to the
results bucket under one prefix, encrypted (SSE-S3); a query that would scan more than the
cutoff is cancelled; CloudWatch metrics are on. ``query_statements`` grants a role (a
function's, or one a function assumes per query) exactly this workgroup, this database's
tables and these buckets."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components.data_bucket import DataBucket
from infra.components.function import Statement


@dataclass
class QueryEngineArgs:
    database_name: str
    workgroup_name: str
    results: DataBucket
    results_prefix: str
    bytes_scanned_cutoff: int
    region: str
    tags: dict[str, str]
    protect: bool


class QueryEngine(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: QueryEngineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:analytics:QueryEngine", name, None, opts)
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=args.database_name,
            description="One table per uploaded dataset, over its S3 prefix",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=args.workgroup_name,
            force_destroy=not args.protect,
            configuration=aws.athena.WorkgroupConfigurationArgs(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=args.bytes_scanned_cutoff,
                result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                    output_location=pulumi.Output.concat(
                        "s3://", args.results.name, "/", args.results_prefix
                    ),
                    encryption_configuration=aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        glue = pulumi.Output.concat("arn:aws:glue:", args.region, ":", account.account_id)
        self.catalog_arn = pulumi.Output.concat(glue, ":catalog")
        self.database_arn = pulumi.Output.concat(glue, ":database/", self.database.name)
        self.tables_arn = pulumi.Output.concat(glue, ":table/", self.database.name, "/*")
        self.results = args.results
        self.results_prefix = args.results_prefix
        self.register_outputs({"database": self.database.name, "workgroup": self.workgroup.name})

    def table_statement(self, sid: str, actions: list[str]) -> Statement:
        """Glue ``actions`` on this database's tables (with the catalog and database, which
        Glue authorizes too)."""
        return {
            "Sid": sid,
            "Action": actions,
            "Resource": [self.catalog_arn, self.database_arn, self.tables_arn],
        }

    def query_statements(
        self, data_objects: list[pulumi.Input[str]], data_buckets: list[pulumi.Input[str]]
    ) -> list[Statement]:
        """What running queries needs: the workgroup's query actions, reading the tables'
        definitions, reading the data (Athena reads it with the caller's rights) and
        writing and reading the results."""
        return [
            {
                "Sid": "RunQueriesInWorkgroup",
                "Action": [
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                    "athena:GetWorkGroup",
                ],
                "Resource": [self.workgroup.arn],
            },
            self.table_statement(
                "ReadTableDefinitions", ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"]
            ),
            {
                "Sid": "ReadQueriedData",
                "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": [*data_buckets, *data_objects],
            },
            {
                "Sid": "WriteQueryResults",
                "Action": [
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                "Resource": [self.results.arn, self.results.objects_arn(self.results_prefix)],
            },
        ]
