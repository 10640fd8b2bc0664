"""The trends video pipeline on the local stack (seed 002 §5.3, §6.3), trends declared alone,
as ``make dev --systems trends`` runs it: the program's state machine executed by the local
Step Functions, its tasks the declared functions, Bedrock, Polly and MediaConvert the local
runtime's (real files: ffmpeg), YouTube the fake.

One night of three topics made at once: one whose first clip job fails (the job is started
again, and its video is then made as any other); one whose clips keep failing (the fallback
makes its video anyway); one whose render fails (the video is marked failed and the alerts
topic told); the first upload is cut off mid-chunk and resumes without resending what
YouTube holds. Then the 2 AM schedule fired starts a night of its own, and a spent month
starts no video at all.

The markers in the trends' titles are the local services' documented test aids
(``[local:fail]``, ``[local:fail-once]``, ``[local:render-fail]``).
"""

from __future__ import annotations

import itertools
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.trends import names
from chalicelib.trends.config_store import ConfigStore, Person
from chalicelib.trends.configuration import TrendsConfig
from chalicelib.trends.repositories import TrendRepository
from chalicelib.trends.video_records import spend_key
from devstack.fakes.youtube import SESSIONS_PATH
from devstack.media import probe
from devstack.profiles.trends import UPLOADS_FOLDER
from shared.names import physical
from tests.e2e.support import aws, start_stack
from tests.trends_support import rank_one

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

STACK = "dev"
MACHINE = physical(names.PIPELINE_STATE_MACHINE, STACK)
PIPELINE = {
    "videoPipeline": {
        "clipPollSeconds": 1,
        "retryIntervalSeconds": 1,
        "maxConcurrency": 4,
        "videosPerNight": 3,
        "monthlyBudgetUsd": 500,
        "uploadConcurrency": 4,
    }
}
CONFIG = TrendsConfig.model_validate(
    {
        "topics": [
            {"name": "technology", "prompt": "What is {trend}?"},
            {"name": "health", "prompt": "The facts about {trend}."},
            {"name": "finance", "prompt": "Money and {trend}."},
            {"name": "tourism", "prompt": "Visit {trend}.", "enabled": False},
        ],
        "video": {
            "min_minutes": 1,
            "max_minutes": 1,
            "resolution": "540p",
            "generated_seconds_per_minute": 10,
        },
    }
)
# topic -> (trend keyword, the title of its best video); the scores order them as listed.
TRENDS = {
    "technology": ("ai agents", "AI agents [local:fail-once] explained"),
    "health": ("sleep science", "Sleep science [local:fail] today"),
    "finance": ("index funds [local:render-fail]", "Index funds in ten minutes"),
}


def execution_end(sfn: Any, arn: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            pytest.fail(f"{arn} still running after {timeout} s")
        time.sleep(0.5)
    return dict(described)


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    for page in pages:
        events.extend(page["events"])
    return events


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")
    ]


def fake_youtube(local: dict[str, Any], path: str, body: dict[str, Any] | None = None) -> Any:
    url = local["fakes"]["youtube"] + path
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def trends_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("trends-pipeline")
    stack, described = start_stack(
        state, "--systems", "trends", "--set", f"serverless-fleet:trends={json.dumps(PIPELINE)}"
    )
    try:
        yield described
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def night(trends_stack: dict[str, Any]) -> dict[str, Any]:
    """The configuration saved and the three trends ranked, the first upload armed to be cut
    off, then one execution run to its end: its description, history and the videos."""
    dynamodb = aws(trends_stack, "dynamodb")
    import boto3

    resource = boto3.resource(
        "dynamodb",
        endpoint_url=trends_stack["aws_endpoint"],
        region_name="eu-north-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    now = datetime.now(UTC)
    store = ConfigStore(resource.Table(physical("trends-config", STACK)))
    store.save(CONFIG, store.current(), Person("sub-test", "test@example.com"), now)
    rankings = TrendRepository(resource.Table(physical("trend-analytics", STACK)), 1)
    for n, (topic, (keyword, title)) in enumerate(TRENDS.items()):
        rankings.store_ranking(topic, now, rank_one(keyword, title, 100_000 - n * 10_000, now))
    assert dynamodb.describe_table(TableName=physical("trends-videos", STACK))
    # The alerts topic's messages, as a subscriber queue receives them.
    sns, sqs = aws(trends_stack, "sns"), aws(trends_stack, "sqs")
    topic = next(
        t["TopicArn"]
        for t in sns.list_topics()["Topics"]
        if t["TopicArn"].endswith(physical(names.TRENDS_ALERTS_TOPIC, STACK))
    )
    inbox = sqs.create_queue(QueueName="test-trends-alerts")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"])
    # The next upload chunk is cut off after 300 KiB: the upload must resume.
    fake_youtube(
        trends_stack,
        "/_faults",
        {"path_contains": SESSIONS_PATH, "status": 503, "after_bytes": 300 * 1024, "times": 1},
    )

    sfn = aws(trends_stack, "stepfunctions")
    machine = next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if m["name"] == MACHINE
    )
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    described = execution_end(sfn, arn)
    messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    return {
        "machine": machine,
        "execution": described,
        "history": history(sfn, arn),
        "output": json.loads(described.get("output") or "{}"),
        "alerts": [json.loads(m["Body"]) for m in messages.get("Messages", [])],
        "videos": {
            item["topic"]["S"]: item
            for item in dynamodb.scan(TableName=physical("trends-videos", STACK))["Items"]
        },
        "uploads": fake_youtube(trends_stack, "/_fake/uploads"),
    }


def test_the_night_makes_every_video_at_once_and_ends_well(night: dict[str, Any]) -> None:
    assert night["execution"]["status"] == "SUCCEEDED", night["history"][-3:]
    events = night["history"]
    started = [e["timestamp"] for e in events if e["type"] == "MapIterationStarted"]
    ended = [e["timestamp"] for e in events if e["type"] == "MapIterationSucceeded"]
    assert len(started) == 3 == len(ended)
    # Parallel: every video started before the first one ended.
    assert max(started) < min(ended)
    assert night["output"]["published"] == 2 and night["output"]["failed"] == 1


def test_published_videos_are_h264_with_audio_on_the_fake_youtube(
    night: dict[str, Any], trends_stack: dict[str, Any]
) -> None:
    published = {
        v["topic"]["S"]: v["youtube_id"]["S"] for v in night["videos"].values() if "youtube_id" in v
    }
    assert set(published) == {"technology", "health"}
    kept = Path(trends_stack["state"]) / UPLOADS_FOLDER
    for topic, youtube_id in published.items():
        facts = probe(kept / f"{youtube_id}.mp4")
        assert facts.video_codec == "h264" and facts.audio_codec == "aac", topic
        assert (facts.width, facts.height) == (1920, 1080), topic
        assert 55 < facts.duration < 80, topic  # a one-minute video


def test_a_clip_job_failing_once_is_started_again_and_its_clips_are_used(
    night: dict[str, Any],
) -> None:
    video = night["videos"]["technology"]
    assert video["status"]["S"] == "published"
    assert "fallback" not in video
    assert int(video["clips_done"]["N"]) >= 2


def test_clips_that_keep_failing_give_the_fallback_video(night: dict[str, Any]) -> None:
    video = night["videos"]["health"]
    assert video["status"]["S"] == "published"
    assert "[local:fail]" in video["fallback"]["S"] or "scene" in video["fallback"]["S"]
    assert "UseFallback" in entered(night["history"])


def test_a_failed_render_marks_the_video_failed_and_tells_the_alerts_topic(
    night: dict[str, Any],
) -> None:
    video = night["videos"]["finance"]
    assert video["status"]["S"] == "failed"
    failure = video["failure"]["M"]
    assert failure["stage"]["S"] == "render"
    assert failure["error"]["S"] == "RenderFailedError"
    assert "failed on demand" in failure["cause"]["S"]
    subjects = [m.get("Subject", "") for m in night["alerts"]]
    assert any(video["video_id"]["S"] in s and "render" in s for s in subjects), subjects


def test_the_cut_upload_resumed_without_sending_a_byte_twice(night: dict[str, Any]) -> None:
    for upload in night["uploads"]["uploads"]:
        ranges = sorted(tuple(r) for r in upload["received"])
        assert ranges[0][0] == 0
        for (_, last), (first, _) in itertools.pairwise(ranges):
            assert first == last + 1, upload["video_id"]  # contiguous, never overlapping
    assert any(len(u["received"]) > 1 for u in night["uploads"]["uploads"])


def test_the_console_draws_the_night_on_the_machines_graph(
    night: dict[str, Any], trends_stack: dict[str, Any], browser: Browser
) -> None:
    """Followed as a person would: the night's execution picked in the console, its path
    drawn: the fallback taken, every video rendered, uploads and the failure handler
    reached, the budget's refusal not."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{trends_stack['console']}/#machines/{MACHINE}")
        expect(page.locator("#graph svg")).to_be_visible()
        page.locator("#executions button", has_text=night["execution"]["name"]).click()
        expect(page.locator("#executions li.chosen")).to_have_attribute("data-status", "SUCCEEDED")
        visited = re.compile(r"\bvisited\b")
        for state in ("Plan", "BudgetGate", "MakeVideos", "UseFallback", "Upload", "MarkFailed"):
            expect(page.locator(f'#graph .state[data-state="{state}"]')).to_have_class(visited)
        expect(page.locator('#graph .state[data-state="BudgetExhausted"]')).not_to_have_class(
            visited
        )
        # One visit per video: the three renders, one of them the failed one.
        render = page.locator('#graph .state[data-state="Render"]')
        expect(render).to_have_attribute("data-steps", re.compile(r"^\d+(,\d+){2}$"))
    finally:
        context.close()


def test_the_2_am_schedule_starts_a_night(
    night: dict[str, Any], trends_stack: dict[str, Any]
) -> None:
    schedule = physical("trends-video-generation", STACK)
    request = urllib.request.Request(
        f"{trends_stack['console']}/api/schedules/{schedule}/fire",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["fired"] == schedule
    sfn = aws(trends_stack, "stepfunctions")
    deadline = time.monotonic() + 30
    while True:
        executions = sfn.list_executions(stateMachineArn=night["machine"])["executions"]
        if len(executions) == 2:
            break
        assert time.monotonic() < deadline, "the schedule started no execution"
        time.sleep(0.5)
    fired = next(e for e in executions if e["executionArn"] != night["execution"]["executionArn"])
    described = execution_end(sfn, fired["executionArn"])
    assert json.loads(described["input"])["schedule"] == schedule
    # The night's videos are planned already: the fired run plans none twice.
    assert "NothingToMake" in entered(history(sfn, fired["executionArn"]))


def test_a_spent_month_starts_no_video(night: dict[str, Any], trends_stack: dict[str, Any]) -> None:
    dynamodb = aws(trends_stack, "dynamodb")
    dynamodb.put_item(
        TableName=physical("trends-state", STACK),
        Item={"state_key": {"S": spend_key(datetime.now(UTC))}, "usd": {"N": "500"}},
    )
    sfn = aws(trends_stack, "stepfunctions")
    arn = sfn.start_execution(stateMachineArn=night["machine"], input="{}")["executionArn"]

    described = execution_end(sfn, arn, timeout=60)

    assert described["status"] == "SUCCEEDED"
    states = entered(history(sfn, arn))
    assert "BudgetExhausted" in states and "MakeVideos" not in states
