"""Suite-wide set-up: no test ever reaches a real AWS account, and packages are built."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.registry import add_app_paths

# Every system's app folder on the path (chalicelib/ is a namespace package in each), from
# the one registry of systems.
add_app_paths()

REGION = "eu-north-1"

# Set before anything imports boto3: fake credentials, a fixed region, no endpoint override
# and no profile, so a developer's real AWS set-up can never be used by a test.
for _var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_DEFAULT_REGION=REGION,
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
)


@pytest.fixture(scope="session")
def built_packages() -> Iterator[Path]:
    """``build/`` with every app packaged (``make test`` packages first; a bare ``pytest``
    packages what is missing)."""
    from infra.packaging import BUILD_DIR, app_names, package_app

    for app in app_names():
        if not (BUILD_DIR / app / "sam.json").is_file():
            package_app(app)
    yield BUILD_DIR
