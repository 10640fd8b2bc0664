"""comms: AI multi-channel outreach (seed 004). Routes only; the logic is in chalicelib/comms.

One package, so every function imports this module on its cold start: each route's and
processor's logic is imported on its first use, so a cold start loads only what its first
request needs (the router's pydantic models, a callback's signature check, the processors'
OpenAI, Twilio and SendGrid clients). bench/router_bench.py keeps the API handler's import
within 1.3x of a bare Chalice app with boto3.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response, SQSEvent

from chalicelib.comms import names, wiring
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
    from chalicelib.comms.routing import initiate_conversation  # first use

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
    from chalicelib.comms.callbacks import record_status  # first use

    update = record_status(
        app.request.raw_body,
        app.query,
        app.request.headers.get("x-twilio-signature"),
        wiring.conversations(),
        wiring.credentials(),
    )
    return json_response(200, update.as_body())


@app.route(names.SENDGRID_EVENTS_PATH, methods=["POST"], content_types=["application/json"])
def sendgrid_events_route() -> Response:
    from chalicelib.comms.email_events import record_events  # first use

    recorded = record_events(
        app.request.raw_body,
        app.query,
        app.request.headers,
        wiring.company_configs(),
        wiring.conversations(),
    )
    return json_response(200, recorded.as_body())


def _process(event: SQSEvent, channel: str) -> dict[str, Any]:
    # First use: OpenAI's and Twilio's SDKs cost about 0.5 s of a cold start.
    from chalicelib.comms import processor_wiring
    from chalicelib.comms.batch import handle_batch

    return handle_batch(
        event.to_dict(),
        event.context,
        channel,
        processor_wiring.processor_deps(),
        aws.sqs(),
        processor_wiring.own_queue(),
    )


@app.on_sqs_message(queue="whatsapp", batch_size=10)
def whatsapp_processor(event: SQSEvent) -> dict[str, Any]:
    return _process(event, "whatsapp")


@app.on_sqs_message(queue="sms", batch_size=10)
def sms_processor(event: SQSEvent) -> dict[str, Any]:
    return _process(event, "sms")


@app.on_sqs_message(queue="email", batch_size=10)
def email_processor(event: SQSEvent) -> dict[str, Any]:
    return _process(event, "email")
