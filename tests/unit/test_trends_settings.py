"""trends's daily analysis reads its environment as one model (``shared/settings.py``):
typed, its JSON settings parsed, optional variables defaulted, a bad value named."""

from __future__ import annotations

import json

import pytest

from chalicelib.trends import env
from chalicelib.trends.wiring import AnalysisSettings
from chalicelib.trends.youtube import DEFAULT_URL
from shared.env import SECRETS_CACHE_SECONDS
from shared.errors import ConfigurationError
from shared.settings import from_environment

# As ``infra/systems/trends/component.py`` writes it (camelCase, every value a string).
ANALYSIS_CONFIG = {
    "topics": [{"name": "technology", "categoryIds": ["28"], "keywords": []}],
    "regions": ["US", "GB"],
    "maxPages": 4,
    "pageSize": 50,
    "quotaUnitsPerDay": 9000,
    "trendsPerTopic": 10,
    "keywordsPerVideo": 8,
    "retentionDays": 90,
}
ENVIRONMENT = {
    env.TREND_ANALYTICS_TABLE: "trend-analytics-dev",
    env.VIDEO_METADATA_TABLE: "video-metadata-dev",
    env.STATE_TABLE: "trends-state-dev",
    env.YOUTUBE_SECRET_NAME: "trends/youtube-api-key-dev",
    env.ANALYSIS_CONFIG: json.dumps(ANALYSIS_CONFIG),
    SECRETS_CACHE_SECONDS: "120",
}


def test_the_analysis_reads_its_config_as_the_program_writes_it_and_names_a_bad_value() -> None:
    settings = from_environment(AnalysisSettings, ENVIRONMENT | {env.YOUTUBE_API_URL: ""})
    assert settings.config.regions == ("US", "GB")
    assert settings.config.topics[0].category_ids == ("28",)
    assert settings.config.quota_units_per_day == 9000 and settings.secrets_cache_seconds == 120
    assert settings.youtube_api_url == DEFAULT_URL  # empty, as unset: the real API

    broken = ENVIRONMENT | {
        env.ANALYSIS_CONFIG: json.dumps(ANALYSIS_CONFIG | {"pageSize": 51}),
        env.STATE_TABLE: "",
    }
    with pytest.raises(ConfigurationError) as raised:
        from_environment(AnalysisSettings, broken)
    assert f"{env.ANALYSIS_CONFIG}.pageSize:" in str(raised.value)
    assert f"{env.STATE_TABLE}:" in str(raised.value)
