"""What the local stack reads from a function's log lines: Lambda's platform reports, EMF
documents and metric filter matches (no I/O but a temporary log folder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.services.cloudwatch.log_metrics import (
    LogTail,
    compile_pattern,
    line_points,
    metric_filters,
    platform_report,
)
from devstack.services.cloudwatch.metrics import MetricKey

NOW = 1_800_000_000.0
FUNCTION = "comms-whatsapp-processor-dev"
MARKER_FILTER = {
    "filterName": "whatsapp-final-db-update-failed-dev",
    "filterPattern": '"CRITICAL_FINAL_DB_UPDATE_FAILED"',
    "logGroupName": f"/aws/lambda/{FUNCTION}",
    "metricTransformations": [
        {
            "metricName": "FinalDbUpdateFailureCount",
            "metricNamespace": "ServerlessFleet/Comms",
            "metricValue": "1",
            "defaultValue": 0.0,
        }
    ],
}


def values(points: list) -> dict[tuple[str, str], float]:
    return {(p.key.namespace, p.key.name): p.value for p in points}


@pytest.mark.parametrize(("status", "errors"), [("success", 0.0), ("error", 1.0), ("timeout", 1.0)])
def test_a_platform_report_is_one_invocation_and_its_error(status: str, errors: float) -> None:
    line = platform_report("req-1", status, 12.5)

    points = line_points(FUNCTION, line, [], NOW)

    assert values(points) == {
        ("AWS/Lambda", "Invocations"): 1.0,
        ("AWS/Lambda", "Errors"): errors,
        ("AWS/Lambda", "Duration"): 12.5,
    }
    assert {p.key.dimensions for p in points} == {frozenset({("FunctionName", FUNCTION)})}


def test_an_emf_document_is_a_point_per_value_and_dimension_set() -> None:
    document = {
        "_aws": {
            "Timestamp": 1_800_000_000_500,
            "CloudWatchMetrics": [
                {
                    "Namespace": "ServerlessFleet/Mentions",
                    "Dimensions": [["service"], ["service", "missing"]],
                    "Metrics": [{"Name": "ApiCalls", "Unit": "Count"}, {"Name": "ApiErrors"}],
                }
            ],
        },
        "service": "mentions-ingester",
        "ApiCalls": [1.0, 1.0],
        "ApiErrors": 0,
    }

    points = line_points("mentions-ingest-mentions-dev", json.dumps(document), [], NOW)

    key = MetricKey.of("ServerlessFleet/Mentions", "ApiCalls", {"service": "mentions-ingester"})
    assert [p.value for p in points if p.key == key] == [1.0, 1.0]
    assert [p.value for p in points if p.key.name == "ApiErrors"] == [0.0]
    assert {p.timestamp for p in points} == {1_800_000_000.5}  # the document's own time


def test_a_line_with_the_marker_counts_in_its_log_groups_filter_only() -> None:
    filters, skipped = metric_filters([MARKER_FILTER])
    line = json.dumps({"level": "CRITICAL", "message": "CRITICAL_FINAL_DB_UPDATE_FAILED"})

    assert skipped == []
    assert values(line_points(FUNCTION, line, filters, NOW)) == {
        ("ServerlessFleet/Comms", "FinalDbUpdateFailureCount"): 1.0
    }
    assert line_points("comms-sms-processor-dev", line, filters, NOW) == []
    assert line_points(FUNCTION, '{"message": "first message sent"}', filters, NOW) == []


@pytest.mark.parametrize(
    ("pattern", "line", "matches"),
    [
        ("", "anything", True),
        ("ERROR timeout", "ERROR: read timeout", True),
        ("ERROR timeout", "ERROR: refused", False),
        ('"read timeout"', "ERROR: read timeout", True),
        ("?ERROR ?WARN", "WARN: slow", True),
        ("?ERROR ?WARN", "INFO: fine", False),
        ("ERROR -retrying", "ERROR retrying", False),
    ],
)
def test_filter_pattern_terms(pattern: str, line: str, matches: bool) -> None:
    matcher = compile_pattern(pattern)
    assert matcher is not None and matcher(line) is matches


def test_json_patterns_and_values_read_from_the_event_are_skipped_by_name() -> None:
    json_pattern = {**MARKER_FILTER, "filterName": "json", "filterPattern": '{ $.level = "X" }'}
    read_value = {
        **MARKER_FILTER,
        "filterName": "read",
        "metricTransformations": [
            {**MARKER_FILTER["metricTransformations"][0], "metricValue": "$.n"}
        ],
    }

    filters, skipped = metric_filters([json_pattern, read_value])

    assert filters == [] and skipped == ["json", "read"]


def test_the_tail_reads_only_lines_written_since_it_started_and_whole_ones(tmp_path: Path) -> None:
    old = tmp_path / "old-dev.log"
    old.write_text("an earlier run\n")
    tail = LogTail(tmp_path)
    with old.open("a") as log:
        log.write("new line\nhalf a li")
    (tmp_path / "started-later-dev.log").write_text("first\n")

    assert tail.read() == {"old-dev": ["new line"], "started-later-dev": ["first"]}
    with old.open("a") as log:
        log.write("ne\n")
    assert tail.read() == {"old-dev": ["half a line"]}
    assert tail.read() == {}
    old.write_text("emptied, then written\n")
    assert tail.read() == {"old-dev": ["emptied, then written"]}
