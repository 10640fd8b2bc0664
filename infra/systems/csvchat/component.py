"""csvchat (seed 003, part 1): users (a Cognito pool and client), the uploads and results
buckets, the processing queue the uploads bucket notifies, the Glue database and Athena
workgroup, the four tables (datasets with a stream, chat history, preferences, usage) and
the Chalice app (API behind the pool's authorizer, the processing consumer, the usage
consumer), each function with exactly the rights it uses; part 2's alarms and dashboard
(``monitoring.py``).

The API reads no dataset with its own role: every query runs as the query role, assumed by
the API with a session policy naming the caller's dataset prefix and table
(``chalicelib/csvchat/query_access.py``), so a query that slips past the SQL guard still
cannot read another user's data."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from chalicelib.csvchat import env, names
from chalicelib.csvchat.models import ChatLimits, QueryLimits, UploadLimits
from infra.components.bedrock_access import invoke_model_statement
from infra.components.data_bucket import DataBucket, DataBucketArgs
from infra.components.function import FunctionAccess, Statement, policy_document
from infra.components.query_engine import QueryEngine, QueryEngineArgs
from infra.components.system import AppRoutes, FleetSystem, SystemArgs
from infra.components.user_pool import UserPool, UserPoolArgs
from infra.systems.csvchat.monitoring import alarms, dashboard
from infra.systems.csvchat.settings import MIB, CsvchatSettings
from shared.names import physical

# Inference profile ids start with where they route: "global.", "eu.", "us.", "apac.", ...
API_HANDLER = "APIHandler"
PROCESSOR = "ProcessUploads"
USAGE_TRACKER = "TrackUsageRecords"
QUERY_ROLE = "csvchat-query"


class CsvchatSystem(FleetSystem[CsvchatSettings]):
    system = "csvchat"
    type_token = "fleet:csvchat:CsvchatSystem"
    settings_model = CsvchatSettings
    alerts_topic = names.CSVCHAT_ALERTS_TOPIC

    def __init__(
        self, name: str, args: SystemArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, args, opts)
        self.users = UserPool(
            f"{name}-users",
            UserPoolArgs(
                pool_name=physical(names.USER_POOL, self.stack),
                client_name=physical(names.USER_POOL_CLIENT, self.stack),
                tags=self.tags,
                protect=self.platform.protect_data,
            ),
            opts=self.child,
        )
        self.datasets = self.table("datasets", names.DATASETS_TABLE, "NEW_AND_OLD_IMAGES")
        self.chats = self.table("chat-history", names.CHAT_HISTORY_TABLE)
        self.preferences = self.table("preferences", names.PREFERENCES_TABLE)
        self.usage = self.table("usage", names.USAGE_TABLE)
        self.upload_events = self.queue(
            "upload-events",
            names.UPLOAD_EVENTS_QUEUE,
            names.UPLOAD_EVENTS_DLQ,
            self.settings.upload_events_queue,
        )
        self.uploads = self._bucket("uploads", names.UPLOADS_BUCKET, None)
        self.results = self._bucket(
            "results", names.RESULTS_BUCKET, self.settings.results_retention_days
        )
        self.uploads.notify(self.upload_events, names.DATASETS_PREFIX)
        self.engine = QueryEngine(
            f"{name}-queries",
            QueryEngineArgs(
                database_name=names.glue_database(self.stack),
                workgroup_name=physical(names.ATHENA_WORKGROUP, self.stack),
                results=self.results,
                results_prefix=names.QUERY_RESULTS_PREFIX,
                bytes_scanned_cutoff=self.settings.bytes_scanned_cutoff_mb * MIB,
                region=self.platform.region,
                tags=self.tags,
                protect=self.platform.protect_data,
            ),
            opts=self.child,
        )
        # Named here, created once the API's role exists (its trust names that role).
        self.query_role_name = physical(QUERY_ROLE, self.stack)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.query_role_arn = pulumi.Output.concat(
            "arn:aws:iam::", account.account_id, ":role/", self.query_role_name
        )
        self.app = self.chalice_app(
            {
                API_HANDLER: self._api_access(),
                PROCESSOR: self._processor_access(),
                USAGE_TRACKER: self._usage_access(),
            },
            routes=AppRoutes(
                api_name=physical(names.CSVCHAT_API, self.stack),
                authorizers={names.AUTHORIZER: self.users.arn},
                keyless_paths={
                    "/": "the page: it signs the user in, so it cannot need a token",
                    "/config": "what the page signs in with (an app client id is public)",
                },
            ),
            queues={names.UPLOAD_EVENTS_QUEUE: self.upload_events},
            streams={names.DATASETS_TABLE.base_name: self.datasets},
        )
        self.query_role = self._query_role()
        self._allow_page_origins()
        self._monitoring()
        self.exports |= {
            "csvchat_user_pool_id": self.users.id,
            "csvchat_user_pool_client_id": self.users.client_id,
            "csvchat_uploads_bucket": self.uploads.name,
            "csvchat_results_bucket": self.results.name,
            "csvchat_workgroup": self.engine.workgroup.name,
        }
        self.finish()

    def _bucket(self, key: str, base_name: str, expire_days: int | None) -> DataBucket:
        return DataBucket(
            f"{self.name}-{key}",
            DataBucketArgs(
                base_name=base_name,
                stack=self.stack,
                tags=self.tags,
                protect=self.platform.protect_data,
                expire_days=expire_days,
            ),
            opts=self.child,
        )

    def _query_role(self) -> aws.iam.Role:
        """What every query runs as: read the stack's datasets and table definitions, run
        in the workgroup, write its results. Only the API's role may assume it, and the API
        always narrows a session to one dataset (``query_access.py``)."""
        api_role = self.app.functions[API_HANDLER].role
        role = aws.iam.Role(
            f"{self.name}-query-role",
            name=self.query_role_name,
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": api_role.arn},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            tags=self.tags,
            opts=self.child,
        )
        aws.iam.RolePolicy(
            f"{self.name}-query-role-policy",
            name=f"{self.query_role_name}-policy",
            role=role.id,
            policy=policy_document(
                self.engine.query_statements([self._dataset_objects()], [self.uploads.arn])
            ),
            opts=self.child,
        )
        return role

    def _allow_page_origins(self) -> None:
        """The page is served by the API itself (part 2): its origin, and any the stack
        adds, may upload to and read from the buckets."""
        if self.app.api is None:
            raise ValueError("the csvchat package has no routes: rebuild it with `make package`")
        origin = pulumi.Output.concat(
            "https://", self.app.api.api.id, ".execute-api.", self.platform.region, ".amazonaws.com"
        )
        origins = pulumi.Output.all(origin, *self.settings.cors_origins)
        self.uploads.allow_origins(origins)
        self.results.allow_origins(origins, methods=("GET",))

    def _monitoring(self) -> None:
        region = self.platform.region
        alarms(self.name, self.watch, self.settings)
        if self.app.api is None:
            raise ValueError("the csvchat package has no routes: rebuild it with `make package`")
        self.declare_dashboard(
            pulumi.Output.all(
                self.app.api.api.name, *(f.function.name for f in self.app.functions.values())
            ).apply(lambda n: dashboard(self.stack, region, list(n[1:]), n[0]))
        )

    def _upload_limits(self) -> str:
        uploads, quota = self.settings.uploads, self.settings.quota
        return UploadLimits(
            max_bytes=uploads.max_mb * MIB,
            multipart_threshold_bytes=uploads.multipart_threshold_mb * MIB,
            part_size_bytes=uploads.part_size_mb * MIB,
            content_types=tuple(uploads.content_types),
            extensions=tuple(uploads.extensions),
            quota_datasets=quota.datasets,
            quota_bytes=quota.mb * MIB,
            url_seconds=uploads.url_seconds,
        ).model_dump_json()

    def _environment(self) -> dict[str, pulumi.Input[str]]:
        return {
            env.DATASETS_TABLE: self.datasets.name,
            env.UPLOADS_BUCKET: self.uploads.name,
            env.GLUE_DATABASE: self.engine.database.name,
        }

    def _dataset_objects(self) -> pulumi.Output[str]:
        return self.uploads.objects_arn(names.DATASETS_PREFIX)

    def _api_access(self) -> FunctionAccess:
        settings = self.settings
        statements: list[Statement] = [
            {
                "Sid": "OwnDatasets",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                ],
                "Resource": [self.datasets.arn],
            },
            {"Sid": "ReadUsage", "Action": ["dynamodb:GetItem"], "Resource": [self.usage.arn]},
            {
                "Sid": "ChatHistoryAndCache",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                ],
                "Resource": [
                    self.chats.arn,
                    self.chats.index_arn(names.DATASET_CHATS_INDEX.name),
                ],
            },
            {
                # Presigned uploads are signed with these rights; completing one checks its
                # parts' sizes; deleting a dataset removes every version of its objects.
                "Sid": "UploadAndDeleteDatasets",
                "Action": [
                    "s3:PutObject",
                    "s3:ListMultipartUploadParts",
                    "s3:AbortMultipartUpload",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                ],
                "Resource": [self._dataset_objects()],
            },
            {
                "Sid": "ListDatasetVersions",
                "Action": ["s3:ListBucketVersions"],
                "Resource": [self.uploads.arn],
                "Condition": {"StringLike": {"s3:prefix": [f"{names.DATASETS_PREFIX}*"]}},
            },
            {
                "Sid": "Preferences",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": [self.preferences.arn],
            },
            self._model_statement(),
            self.engine.table_statement("DropDatasetTables", ["glue:DeleteTable"]),
            {
                # Queries read datasets only as the query role, narrowed to the caller's.
                "Sid": "AssumeQueryRole",
                "Action": ["sts:AssumeRole"],
                "Resource": [self.query_role_arn],
            },
        ]
        return FunctionAccess(
            environment={
                **self._environment(),
                env.USAGE_TABLE: self.usage.name,
                env.CHAT_HISTORY_TABLE: self.chats.name,
                env.ATHENA_WORKGROUP: self.engine.workgroup.name,
                env.RESULTS_BUCKET: self.results.name,
                env.QUERY_ROLE_ARN: self.query_role_arn,
                env.USER_POOL_CLIENT_ID: self.users.client_id,
                env.UPLOAD_LIMITS: self._upload_limits(),
                env.PREFERENCES_TABLE: self.preferences.name,
                env.CHAT_LIMITS: ChatLimits(
                    model_id=settings.model_id,
                    cache_seconds=settings.cache_seconds,
                    preview_rows=settings.preview_rows,
                ).model_dump_json(),
                env.QUERY_LIMITS: QueryLimits(
                    max_rows=settings.query_max_rows, timeout_seconds=settings.query_timeout_seconds
                ).model_dump_json(),
            },
            statements=statements,
        )

    def _model_statement(self) -> Statement:
        """Converse on the configured model (``bedrock_access``)."""
        return invoke_model_statement(
            "AskTheModel", self.settings.model_id, self.platform.region, self
        )

    def _processor_access(self) -> FunctionAccess:
        return FunctionAccess(
            environment=self._environment(),
            statements=[
                {
                    "Sid": "MoveDatasetStatus",
                    "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                    "Resource": [self.datasets.arn],
                },
                {
                    # The head for inference, then the whole upload for its copy.
                    "Sid": "ReadUploads",
                    "Action": ["s3:GetObject"],
                    "Resource": [self._dataset_objects()],
                },
                {
                    # The table's normalised copy, a multipart upload (aborted on failure),
                    # only into a dataset's table folder: never over an upload.
                    "Sid": "WriteTableCopies",
                    "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                    "Resource": [
                        self.uploads.objects_arn(f"{names.DATASETS_PREFIX}*/*/{names.TABLE_FOLDER}")
                    ],
                },
                self.engine.table_statement(
                    "DeclareDatasetTables",
                    ["glue:GetDatabase", "glue:CreateTable", "glue:UpdateTable", "glue:GetTable"],
                ),
            ],
        )

    def _usage_access(self) -> FunctionAccess:
        return FunctionAccess(
            environment={
                env.DATASETS_TABLE: self.datasets.name,
                env.USAGE_TABLE: self.usage.name,
            },
            statements=[
                {
                    "Sid": "CountDatasets",
                    "Action": ["dynamodb:Query"],
                    "Resource": [self.datasets.arn],
                },
                {"Sid": "StoreUsage", "Action": ["dynamodb:PutItem"], "Resource": [self.usage.arn]},
            ],
        )


SYSTEM = CsvchatSystem
