"""comms: AI multi-channel outreach (seed 004). Routes only; the logic is in chalicelib/comms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice.app import Chalice, Response, SQSEvent

from chalicelib.comms import names, wiring
from chalicelib.comms.responses import error_response
from chalicelib.comms.router.exceptions import RouterError
from chalicelib.comms.router.service import initiate_conversation
from chalicelib.comms.status.callbacks import CallbackRefusedError, record_status
from shared import aws
from shared.errors import ConfigurationError, TransientError
from shared.http import json_response
from shared.observability import logger

app = Chalice(app_name="comms")
log = logger("comms-router")


@app.route(
    "/initiate-conversation",
    methods=["POST"],
    api_key_required=True,
    content_types=["application/json"],
)
def initiate_conversation_route() -> Response:
    try:
        request = app.current_request
        accepted = initiate_conversation(
            request.raw_body if request else None, wiring.company_configs(), wiring.channel_queues()
        )
    except RouterError as err:
        log.info("request refused", extra={"error_code": err.error_code, "reason": err.message})
        return error_response(err)
    except ConfigurationError:
        log.exception("router misconfigured")
        return error_response(RouterError("the service is misconfigured"))
    log.info(
        "conversation queued",
        extra={
            "request_id": accepted.request_id,
            "conversation_id": accepted.conversation_id,
            "channel": accepted.channel,
            "message_id": accepted.message_id,
        },
    )
    return json_response(200, accepted.as_body())


@app.route(
    names.TWILIO_STATUS_PATH,
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded"],
)
def twilio_status_route() -> Response:
    request = app.current_request
    if request is None:
        return json_response(500, {"status": "error", "message": "no request"})
    try:
        update = record_status(
            request.raw_body,
            dict(request.query_params or {}),
            request.headers.get("x-twilio-signature"),
            wiring.conversations(),
            wiring.credentials(),
            datetime.now(UTC).isoformat(),
        )
    except CallbackRefusedError as err:
        log.warning("status callback refused", extra={"reason": err.reason})
        return json_response(err.status, {"status": "error", "message": err.reason})
    except TransientError:
        log.exception("status callback not recorded; Twilio will retry")
        return json_response(503, {"status": "error", "message": "try again"})
    log.info(
        "delivery status",
        extra={
            "conversation_id": update.key.conversation_id,
            "message_sid": update.message_sid,
            "delivery_status": update.status,
            "applied": update.applied,
        },
    )
    return json_response(200, {"status": "recorded" if update.applied else "unchanged"})


def _process(event: SQSEvent, channel: str) -> dict[str, Any]:
    # Imported on first use, not at the top: the API handler shares this module and must not
    # load the OpenAI and Twilio SDKs on its cold start (about 0.5 s).
    from chalicelib.comms.processor import wiring as processor_wiring
    from chalicelib.comms.processor.batch import handle_batch

    return handle_batch(
        event.to_dict(),
        event.context,
        channel,
        processor_wiring.processor_deps(),
        aws.sqs(),
        processor_wiring.heartbeat_settings(),
    )


@app.on_sqs_message(queue="whatsapp", batch_size=10)
def whatsapp_processor(event: SQSEvent) -> dict[str, Any]:
    return _process(event, "whatsapp")


@app.on_sqs_message(queue="sms", batch_size=10)
def sms_processor(event: SQSEvent) -> dict[str, Any]:
    return _process(event, "sms")
