"""mentions: the MentionMind ingester and its read API (seed 000). Routes and schedules only;
the logic is in chalicelib/mentions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Rate, Response

from chalicelib.mentions import wiring
from chalicelib.mentions.ingestion import run_ingestion
from chalicelib.mentions.queries import InvalidQueryError, mentions_page, parse_query
from shared.errors import ConfigurationError, TransientError
from shared.http import json_response
from shared.observability import logger

app = Chalice(app_name="mentions")
log = logger("mentions-api")


@app.route("/mentions", methods=["GET"], api_key_required=True)
def list_mentions_route() -> Response:
    request = app.current_request
    params = dict(request.query_params or {}) if request else {}
    try:
        page = mentions_page(wiring.reader(), parse_query(params, datetime.now(UTC)))
    except InvalidQueryError as err:
        log.info("query refused", extra={"reason": str(err)})
        return json_response(
            400,
            {
                "status": "error",
                "error_code": "INVALID_QUERY",
                "message": str(err),
                "errors": [{"parameter": p.parameter, "reason": p.reason} for p in err.problems],
            },
        )
    except TransientError:
        log.exception("mentions not read")
        return json_response(503, {"status": "error", "message": "try again"})
    except ConfigurationError:
        log.exception("mentions API misconfigured")
        return json_response(500, {"status": "error", "message": "the service is misconfigured"})
    return json_response(200, page)


# The stack's `mentions.schedule` replaces this rate when the program deploys the rule.
@app.schedule(Rate(15, unit=Rate.MINUTES), name="ingest_mentions")
def ingest_mentions(event: CloudWatchEvent) -> dict[str, Any]:
    metrics = wiring.metrics()
    try:
        return run_ingestion(
            wiring.project_ids(),
            wiring.ingestion_deps(metrics),
            # The invocation's id: EventBridge's retries of one event keep it, so a retry can
            # take back the lease its failed attempt held.
            owner=str(getattr(event.context, "aws_request_id", "") or uuid.uuid4()),
            now=datetime.now(UTC),
            metrics=metrics,
        )
    finally:
        metrics.flush_metrics()
