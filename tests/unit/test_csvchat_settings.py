"""csvchat's API settings as its wiring reads them (``shared/settings.py``): from an
environment shaped as the program writes it, the limits parsed from their JSON."""

from __future__ import annotations

import json

import pytest

from chalicelib.csvchat import env
from chalicelib.csvchat.models import MIB, ChatLimits, QueryLimits, UploadLimits
from chalicelib.csvchat.wiring import ApiSettings
from shared.errors import ConfigurationError
from shared.settings import from_environment


def test_the_api_reads_its_names_and_limits_as_the_program_writes_them() -> None:
    # GIVEN the API's environment, its limits dumped as the program dumps them
    upload_limits = UploadLimits(
        max_bytes=1024 * MIB,
        multipart_threshold_bytes=16 * MIB,
        part_size_bytes=8 * MIB,
        content_types=("text/csv",),
        extensions=(".csv",),
        quota_datasets=50,
        quota_bytes=5 * 1024 * MIB,
        url_seconds=3600,
    )
    environment = {
        env.DATASETS_TABLE: "csvchat-datasets-dev",
        env.CHAT_HISTORY_TABLE: "csvchat-chat-history-dev",
        env.PREFERENCES_TABLE: "csvchat-preferences-dev",
        env.USAGE_TABLE: "csvchat-usage-dev",
        env.UPLOADS_BUCKET: "csvchat-uploads-dev",
        env.RESULTS_BUCKET: "csvchat-results-dev",
        env.GLUE_DATABASE: "csvchat_dev",
        env.ATHENA_WORKGROUP: "csvchat-dev",
        env.QUERY_ROLE_ARN: "arn:aws:iam::123456789012:role/csvchat-query-dev",
        env.USER_POOL_CLIENT_ID: "client-1",
        env.UPLOAD_LIMITS: upload_limits.model_dump_json(),
        env.QUERY_LIMITS: QueryLimits(max_rows=1000, timeout_seconds=20).model_dump_json(),
        env.CHAT_LIMITS: ChatLimits(
            model_id="global.amazon.nova-2-lite-v1:0", cache_seconds=900, preview_rows=50
        ).model_dump_json(),
    }

    # WHEN it is read THEN the JSON settings are the models the program dumped
    settings = from_environment(ApiSettings, environment)
    assert settings.upload_limits == upload_limits
    assert settings.query_limits.timeout_seconds == 20.0
    assert settings.chat_limits.preview_rows == 50
    assert settings.user_pool_client_id == "client-1"

    # AND a limit out of its bounds, or an emptied name, is named when first read
    broken = environment | {
        env.QUERY_LIMITS: json.dumps({"max_rows": 0, "timeout_seconds": 20}),
        env.UPLOADS_BUCKET: "",
    }
    with pytest.raises(ConfigurationError) as raised:
        from_environment(ApiSettings, broken)
    assert f"{env.QUERY_LIMITS}.max_rows:" in str(raised.value)
    assert f"{env.UPLOADS_BUCKET}:" in str(raised.value)
