"""Names of the environment variables the Pulumi program sets on csvchat's functions.

Infra writes them, the app reads them, tests set them; nobody spells them twice. The
platform's own variables are in ``shared.env``.
"""

from __future__ import annotations

from typing import Final

DATASETS_TABLE: Final = "DATASETS_TABLE"
CHAT_HISTORY_TABLE: Final = "CHAT_HISTORY_TABLE"
PREFERENCES_TABLE: Final = "PREFERENCES_TABLE"
USAGE_TABLE: Final = "USAGE_TABLE"
UPLOADS_BUCKET: Final = "UPLOADS_BUCKET"
RESULTS_BUCKET: Final = "RESULTS_BUCKET"
GLUE_DATABASE: Final = "GLUE_DATABASE"
ATHENA_WORKGROUP: Final = "ATHENA_WORKGROUP"
# The app client whose tokens the API accepts (the ``aud`` of an ID token).
USER_POOL_CLIENT_ID: Final = "USER_POOL_CLIENT_ID"
# JSON object of the upload rules (``UploadLimits``): size limit, multipart threshold and
# part size, allowed types, per-user quota, presigned URL lifetime.
UPLOAD_LIMITS: Final = "UPLOAD_LIMITS"
# JSON object of the query rules (``QueryLimits``): rows returned, how long to wait.
QUERY_LIMITS: Final = "QUERY_LIMITS"
# The role each query runs as, assumed with a session policy naming the caller's dataset
# (``query_access.py``): the API's own role reads no dataset.
QUERY_ROLE_ARN: Final = "QUERY_ROLE_ARN"
# JSON object of the chat rules (``ChatLimits``): model id, cache lifetime, preview rows.
CHAT_LIMITS: Final = "CHAT_LIMITS"
