"""Each query runs with credentials that can read one dataset and nothing else, so isolation
holds even if the SQL guard (``guard.py``) lets a trick through.

The API function's own role cannot read datasets or table definitions at all: it may only
assume the stack's query role (whose policy reads any dataset of the stack) with a session
policy naming the caller's dataset prefix and Glue table. AWS grants a session the
intersection of the two, so a query naming another table fails in Athena with access
denied; the local Athena evaluates the same session policy
(``devstack/services/athena/service.py``).

Sessions last 15 minutes (STS's minimum) and are reused for the same dataset until a
minute before they expire: one AssumeRole per dataset per warm function, not per query."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.names import DATASETS_PREFIX
from shared.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient

SESSION_SECONDS = 900  # STS's minimum
RENEW_BEFORE_SECONDS = 60
CACHED_SESSIONS = 128
_SESSION_NAME = re.compile(r"[^\w+=,.@-]")

AthenaFactory = Callable[[dict[str, str]], "AthenaClient"]


@dataclass(frozen=True)
class QueryAccess:
    """The stack's names a session policy is written from (the app's environment)."""

    role_arn: str
    region: str
    uploads_bucket: str
    results_bucket: str
    results_prefix: str
    database: str
    workgroup: str

    def session_policy(self, owner: str, dataset_id: str, table: str) -> dict[str, Any]:
        """Running queries in the workgroup over one dataset: its table's definition, its
        objects (``datasets/<owner>/<dataset_id>/``), and the workgroup's results."""
        partition, account = self.role_arn.split(":")[1], self.role_arn.split(":")[4]
        glue = f"arn:{partition}:glue:{self.region}:{account}"
        s3 = f"arn:{partition}:s3:::"
        prefix = f"{DATASETS_PREFIX}{owner}/{dataset_id}/"
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "athena:StartQueryExecution",
                        "athena:GetQueryExecution",
                        "athena:GetQueryResults",
                        "athena:StopQueryExecution",
                        "athena:GetWorkGroup",
                    ],
                    "Resource": [
                        f"arn:{partition}:athena:{self.region}:{account}:workgroup/{self.workgroup}"
                    ],
                },
                {
                    "Effect": "Allow",
                    "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"],
                    "Resource": [
                        f"{glue}:catalog",
                        f"{glue}:database/{self.database}",
                        f"{glue}:table/{self.database}/{table}",
                    ],
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": [f"{s3}{self.uploads_bucket}/{prefix}*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket"],
                    "Resource": [f"{s3}{self.uploads_bucket}"],
                    "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetBucketLocation"],
                    "Resource": [f"{s3}{self.uploads_bucket}"],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:PutObject",
                        "s3:GetObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    "Resource": [f"{s3}{self.results_bucket}/{self.results_prefix}*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                    "Resource": [f"{s3}{self.results_bucket}"],
                },
            ],
        }


class ScopedAthena:
    """Athena clients whose credentials can read one dataset; thread-safe, cached."""

    def __init__(
        self,
        access: QueryAccess,
        sts: Any,  # an STS client (no stubs for it are installed, hence Any)
        make_client: AthenaFactory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.access = access
        self.sts = sts
        self.make_client = make_client
        self.clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[tuple[str, str], tuple[float, AthenaClient]] = OrderedDict()

    def client(self, owner: str, dataset_id: str, table: str) -> AthenaClient:
        """An Athena client for queries over ``owner``'s dataset ``dataset_id``.

        Raises:
            TransientError: STS failed after botocore's retries.
        """
        key = (owner, dataset_id)
        with self._lock:
            found = self._sessions.get(key)
            if found is not None and found[0] - RENEW_BEFORE_SECONDS > self.clock():
                self._sessions.move_to_end(key)
                return found[1]
        policy = self.access.session_policy(owner, dataset_id, table)
        try:
            credentials = self.sts.assume_role(
                RoleArn=self.access.role_arn,
                RoleSessionName=_SESSION_NAME.sub("-", owner)[:64],
                Policy=json.dumps(policy, separators=(",", ":")),
                DurationSeconds=SESSION_SECONDS,
            )["Credentials"]
        except (ClientError, BotoCoreError) as err:
            raise TransientError(f"scoping the query's credentials failed: {err}") from err
        client = self.make_client(
            {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        )
        with self._lock:
            self._sessions[key] = (credentials["Expiration"].timestamp(), client)
            while len(self._sessions) > CACHED_SESSIONS:
                self._sessions.popitem(last=False)
        return client
