"""trends' configuration page in a real browser (Debian's chromium, driven by Playwright),
signed in through the local AWS endpoint's Cognito and served by the local gateway, which
checks ID tokens as API Gateway's authorizer does: topics and video settings edited, the
cost estimate following the typing, a change saved with its cost impact, undone from the
history, and the latest ranking per topic.

The stack here is trends alone on a local AWS endpoint (the registry does not list trends
yet, so the shared local stack would not serve it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.trends import wiring
from chalicelib.trends.ranking import Scored, engagement, rank_trends
from chalicelib.trends.videos import Video
from devstack.aws_server import LocalAwsServer
from devstack.declared import api_authorizers
from devstack.mocks import MotoMocks
from devstack.outside import RealServices
from devstack.processes import free_port
from devstack.profiles import SeedContext
from devstack.profiles.trends import DEMO_USERS, PROFILE
from devstack.services.apigateway.gateway import make_server
from devstack.services.awslambda.service import FunctionHosts
from shared import aws
from shared.names import physical
from tests.conftest import REGION
from tests.e2e.support import CHROMIUM
from tests.trends_support import STACK, declare_trends

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium executable (make install puts Debian's there)"
)


def ranked(now: datetime) -> list[Any]:
    video = Video.from_api(
        {
            "id": "v1",
            "snippet": {
                "publishedAt": "2026-12-06T10:00:00Z",
                "channelId": "c",
                "title": "AI agents explained",
                "categoryId": "28",
            },
            "statistics": {"viewCount": "30000"},
        }
    )
    return rank_trends([Scored(video, engagement(video, now, None), ("ai agents",))])


@pytest.fixture(scope="module")
def site(built_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The page's URL on a gateway in front of the trends app, trends declared on a local
    AWS endpoint with the demo people, and one ranking stored."""
    server = LocalAwsServer(
        "127.0.0.1", free_port(), FunctionHosts("127.0.0.1", tmp_path_factory.mktemp("logs"))
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", server.url)
        server.start()
        aws.reset_clients()
        try:
            mocks = declare_trends(STACK, MotoMocks(REGION))
            assert PROFILE.seed is not None
            PROFILE.seed(SeedContext(STACK, RealServices()))
            for name, value in mocks.function_environment(
                physical("trends-api-handler", STACK)
            ).items():
                patch.setenv(name, value)
            wiring.reset()
            now = datetime.now(UTC)
            wiring.rankings().store_ranking("technology", now, ranked(now))
            port = free_port()
            gateway = make_server(
                "trends",
                "127.0.0.1",
                port,
                "unused-key",
                api_authorizers(mocks, "trends"),
                server.url,
            )
            threading.Thread(target=gateway.serve_forever, daemon=True).start()
            yield f"http://127.0.0.1:{port}/"
            gateway.server.shutdown()
        finally:
            server.stop()
            wiring.reset()
    aws.reset_clients()


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    from playwright.sync_api import expect

    user = DEMO_USERS[0]
    context = browser.new_context(locale="en-US", timezone_id="UTC")
    opened = context.new_page()
    opened.on("console", lambda m: print("console:", m.text))  # kept in the report
    opened.goto(site)
    opened.fill("#username", user["username"])
    opened.fill("#password", user["password"])
    opened.click("#signin-button")
    expect(opened.locator("#app")).to_be_visible()
    try:
        yield opened
    finally:
        context.close()


def test_a_person_edits_sees_the_cost_follow_saves_and_undoes(page: Page) -> None:
    from playwright.sync_api import expect

    # The defaults: 7.5 minutes typical, 720p, 6 topics at one video a day.
    expect(page.locator("#cost-video")).to_have_text("$112.72")
    expect(page.locator("#cost-month")).to_have_text("$20,289.69")
    expect(page.locator("#ranking-3")).to_contain_text("ai agents")  # technology

    # Lower resolution and fewer topics: the estimate follows as they type.
    page.select_option("#resolution", "540p")
    page.uncheck("#enabled-5")
    expect(page.locator("#cost-video")).to_have_text("$56.47")
    expect(page.locator("#cost-videos")).to_have_text("150")

    # A rule broken is said field by field, before anything is saved.
    page.fill("#min_minutes", "12")
    expect(page.locator("#draft-error")).to_contain_text("min_minutes must not exceed max_minutes")
    page.fill("#min_minutes", "5")
    expect(page.locator("#draft-error")).to_have_text("")

    page.click("#save")
    expect(page.locator("#save-result")).to_contain_text("Saved as version 1")
    expect(page.locator("#history tr")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text(DEMO_USERS[0]["username"])

    page.click("#history button[data-undo='1']")
    expect(page.locator("#save-result")).to_contain_text("Version 1 undone: now version 2")
    expect(page.locator("#resolution")).to_have_value("720p")
    expect(page.locator("#enabled-5")).to_be_checked()
    expect(page.locator("#cost-month")).to_have_text("$20,289.69")
