"""csvchat's resource names and key schemas, written once: the Pulumi program creates them,
the app finds them through ``env``, tests, operator commands and the local profile read them
from here (seed 003 §3, §4, §6)."""

from __future__ import annotations

from typing import Final

from shared.schema import Index, TableSchema

# Seed §4: dataset metadata, one item per uploaded file, keyed by its owner (the Cognito
# ``sub``) and its id. Its stream feeds the usage consumer.
DATASETS_TABLE: Final = TableSchema(
    base_name="csvchat-datasets",
    hash_key="owner",
    range_key="dataset_id",
    attributes={"owner": "S", "dataset_id": "S"},
)
# Seed §4: chat history (part 2): a chat's header and its messages under the owner, sorted
# by ``item_key`` (``chat#<id>``, ``chat#<id>#<time>``); a dataset's chats by the index, so
# deleting a dataset removes its history.
CHAT_HISTORY_TABLE: Final = TableSchema(
    base_name="csvchat-chat-history",
    hash_key="owner",
    range_key="item_key",
    attributes={"owner": "S", "item_key": "S", "dataset_id": "S"},
    global_indexes=(Index("dataset-index", "dataset_id", "item_key", "KEYS_ONLY"),),
)
DATASET_CHATS_INDEX: Final = CHAT_HISTORY_TABLE.global_indexes[0]
# Seed §4: user preferences (row limit, show SQL), one item per user.
PREFERENCES_TABLE: Final = TableSchema(
    base_name="csvchat-user-preferences", hash_key="owner", attributes={"owner": "S"}
)
# What each user holds (datasets, bytes), kept by the consumer of the datasets stream and
# read at upload to enforce the quota.
USAGE_TABLE: Final = TableSchema(
    base_name="csvchat-usage", hash_key="owner", attributes={"owner": "S"}
)

# Seed §3: where files are uploaded (each dataset under its own prefix, its Glue table's
# location below it) and where Athena writes query results. The account id is appended to
# both.
UPLOADS_BUCKET: Final = "csvchat-uploads"
RESULTS_BUCKET: Final = "csvchat-results"
# An uploaded file's key: datasets/<owner>/<dataset_id>/<file name>. Only keys under this
# prefix notify the processing queue.
DATASETS_PREFIX: Final = "datasets/"
# Under a dataset's prefix, the folder of its normalised copy: the Glue table's location
# (datasets/<owner>/<dataset_id>/table/), which holds nothing else.
TABLE_FOLDER: Final = "table/"
# Athena writes each query's result under this prefix of the results bucket.
QUERY_RESULTS_PREFIX: Final = "query-results/"
# The queue the uploads bucket notifies (ObjectCreated), and its DLQ.
UPLOAD_EVENTS_QUEUE: Final = "csvchat-upload-events"
UPLOAD_EVENTS_DLQ: Final = "csvchat-upload-events-dlq"

# Seed §6: one Glue database and one Athena workgroup per stack. Glue and Athena want
# database names in lower case with underscores.
GLUE_DATABASE: Final = "csvchat"
ATHENA_WORKGROUP: Final = "csvchat"

# Users: one Cognito user pool and the app client the page and scripts sign in with; the
# API's authorizer carries this name from the package to API Gateway.
USER_POOL: Final = "csvchat-users"
USER_POOL_CLIENT: Final = "csvchat-web"
AUTHORIZER: Final = "CsvchatUsers"

# EMF metrics of each question (seed: chat response and query times, error rates): the
# code, the alarms and the dashboard name them from here. Timings in ms, by part of the
# reply; counts are 1 per question (a question the model or Athena failed has no timings).
METRICS_NAMESPACE: Final = "ServerlessFleet/Csvchat"
METRICS_SERVICE: Final = "csvchat"
REPLY_TIMINGS: Final = {
    "total": "ReplyLatency",
    "model": "ModelLatency",
    "guard": "GuardLatency",
    "query": "QueryLatency",
    "format": "FormatLatency",
}
REPLY_COUNTS: Final = {
    "questions": "Questions",
    "refused": "RefusedQueries",
    "throttled": "ModelThrottles",
    "model_failed": "ModelErrors",
    "query_failed": "QueryErrors",
}
REPLY_METRICS: Final = REPLY_TIMINGS | REPLY_COUNTS

CSVCHAT_ALERTS_TOPIC: Final = "csvchat-alerts"
CSVCHAT_API: Final = "csvchat"


def glue_database(stack: str) -> str:
    """``csvchat_dev``: the stack's Glue database (underscores, as Athena wants)."""
    return f"{GLUE_DATABASE}_{stack}".replace("-", "_")
