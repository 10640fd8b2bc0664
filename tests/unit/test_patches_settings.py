"""patches' hourly run reads its settings as the program writes them (``wiring``)."""

from __future__ import annotations

import json

import pytest

from chalicelib.patches import env, patchwork
from chalicelib.patches.wiring import FetcherSettings
from shared.errors import ConfigurationError
from shared.settings import from_environment

CONFIG = {
    "firstRunLookbackHours": 24,
    "overlapMinutes": 30,
    "refreshDays": 14,
    "discussionRefreshDays": 60,
    "activeStates": ["new", "under-review"],
    "pageSize": 250,
    "patchworkRateLimit": "5/second",
    "loreRateLimit": "2/second",
    "loreInbox": "all",
    "breakerFailures": 5,
    "breakerCooldownSeconds": 300,
    "breakerTrialSeconds": 150,
    "inlineBodyMaxBytes": 100_000,
}


def test_the_hourly_run_reads_its_config_and_projects_as_the_program_writes_them() -> None:
    # GIVEN the fetcher's variables as the program sets them, and an empty Patchwork URL
    environment = {
        env.PATCHES_TABLE: "patches-dev",
        env.STATE_TABLE: "patches-ingester-state-dev",
        env.THREAD_QUEUE_URL: "https://sqs.eu-north-1.amazonaws.com/1/patches-threads-dev",
        env.PATCHWORK_PROJECTS: json.dumps(["netdevbpf", "linux-mm"]),
        env.INGESTER_CONFIG: json.dumps(CONFIG),
        env.PATCHWORK_URL: "",
    }

    # WHEN they are read
    settings = from_environment(FetcherSettings, environment)

    # THEN the JSON is parsed and typed, and the empty URL means the public Patchwork
    assert settings.projects == ["netdevbpf", "linux-mm"]
    assert settings.config.page_size == 250 and settings.config.active_states == (
        "new",
        "under-review",
    )
    assert settings.patchwork_url == patchwork.DEFAULT_URL
    assert settings.state_table == "patches-ingester-state-dev"

    # AND a config out of range is named, with the table set empty named too
    bad = environment | {
        env.INGESTER_CONFIG: json.dumps(CONFIG | {"pageSize": 1000}),
        env.PATCHES_TABLE: "",
    }
    with pytest.raises(ConfigurationError) as raised:
        from_environment(FetcherSettings, bad)
    message = str(raised.value)
    assert f"{env.INGESTER_CONFIG}.pageSize:" in message
    assert f"{env.PATCHES_TABLE}:" in message
