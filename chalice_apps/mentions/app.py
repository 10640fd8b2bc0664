"""mentions: the MentionMind ingester and its read API (seed 000). Routes and schedules only;
the logic is in chalicelib/mentions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import CloudWatchEvent, Rate, Response

from chalicelib.mentions import wiring
from chalicelib.mentions.ingestion import run_ingestion
from chalicelib.mentions.queries import mentions_page, parse_query
from shared.api import ApiApp
from shared.http import json_response
from shared.metrics import with_metrics
from shared.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

app = ApiApp("mentions", logger("mentions-api"))


@app.route("/mentions", methods=["GET"], api_key_required=True)
def list_mentions_route() -> Response:
    query = parse_query(app.query, datetime.now(UTC))
    return json_response(200, mentions_page(wiring.reader(), query))


# The stack's `mentions.schedule` replaces this rate when the program deploys the rule.
@app.schedule(Rate(15, unit=Rate.MINUTES), name="ingest_mentions")
@with_metrics(wiring.metrics)
def ingest_mentions(metrics: Metrics, event: CloudWatchEvent) -> dict[str, Any]:
    return run_ingestion(
        wiring.project_ids(),
        wiring.ingestion_deps(metrics),
        # The invocation's id: EventBridge's retries of one event keep it, so a retry can
        # take back the lease its failed attempt held.
        owner=str(getattr(event.context, "aws_request_id", "") or uuid.uuid4()),
        now=datetime.now(UTC),
        metrics=metrics,
    )
