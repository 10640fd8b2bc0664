"""comms: AI multi-channel outreach (seed 004). Routes only; the logic is in chalicelib/comms."""

from __future__ import annotations

from typing import Any

from chalice.app import Response, SQSEvent

from chalicelib.comms import names, wiring
from chalicelib.comms.router.service import initiate_conversation
from chalicelib.comms.status.callbacks import record_status
from shared import aws
from shared.api import ApiApp
from shared.http import json_response
from shared.observability import logger

app = ApiApp("comms", logger("comms-router"))


@app.route(
    "/initiate-conversation",
    methods=["POST"],
    api_key_required=True,
    content_types=["application/json"],
)
def initiate_conversation_route() -> Response:
    accepted = initiate_conversation(
        app.request.raw_body, app.query, wiring.company_configs(), wiring.channel_queues()
    )
    return json_response(200, accepted.as_body())


@app.route(
    names.TWILIO_STATUS_PATH,
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded"],
)
def twilio_status_route() -> Response:
    update = record_status(
        app.request.raw_body,
        app.query,
        app.request.headers.get("x-twilio-signature"),
        wiring.conversations(),
        wiring.credentials(),
    )
    return json_response(200, update.as_body())


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
