"""The shared metrics decorator: every invocation gets its own Metrics, flushed once
whether the handler returns or raises, so no handler can lose a run's metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from shared.metrics import with_metrics


class Recorder:
    """Stands in for Metrics: counts its flushes."""

    def __init__(self) -> None:
        self.flushes = 0

    def flush_metrics(self) -> None:
        self.flushes += 1


def test_each_invocation_gets_a_fresh_metrics_flushed_once() -> None:
    made: list[Recorder] = []

    def factory() -> Any:
        made.append(Recorder())
        return made[-1]

    @with_metrics(factory)
    def handler(metrics: Any, event: dict[str, int]) -> int:
        assert metrics is made[-1] and metrics.flushes == 0
        return event["n"] * 2

    assert [handler({"n": 1}), handler({"n": 2})] == [2, 4]
    assert [m.flushes for m in made] == [1, 1]


def test_a_handler_that_raises_still_flushes_and_the_error_propagates() -> None:
    recorder = Recorder()

    @with_metrics(lambda: recorder)  # type: ignore[arg-type, return-value]
    def handler(metrics: Any, event: object, context: object) -> None:
        raise RuntimeError("the run failed")

    with pytest.raises(RuntimeError, match="the run failed"):
        handler({}, None)
    assert recorder.flushes == 1


def test_a_real_metrics_writes_its_emf_document_when_the_handler_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @with_metrics(lambda: Metrics(namespace="Fleet/Test", service="unit"))
    def handler(metrics: Metrics, event: object) -> str:
        metrics.add_metric("Runs", MetricUnit.Count, 1)
        return "done"

    assert handler({}) == "done"
    document = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert document["Runs"] == [1.0]
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Fleet/Test"
