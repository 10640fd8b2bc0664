"""comms' e-mail channel on the local stack, as a user drives it: a request over HTTP, the mail
in the SendGrid fake, the record in DynamoDB, and SendGrid's signed delivery events posted to
the local API, where the comms profile aimed the fake's Event Webhook (as an operator sets it
in a company's SendGrid account).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from devstack.profiles.comms import DEMO_COMPANY_ID, DEMO_PROJECT_ID, LOCAL_SENDGRID_KEY
from tests.e2e.support import wait_for

pytestmark = pytest.mark.e2e


def conversation(stack: dict[str, Any], address: str, conversation_id: str) -> dict[str, Any]:
    table = boto3.resource(
        "dynamodb",
        endpoint_url=stack["aws_endpoint"],
        region_name=stack["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).Table("conversations-dev")
    key = {"primary_channel": address, "conversation_id": conversation_id}
    item: dict[str, Any] = table.get_item(Key=key).get("Item", {})
    return item


def test_an_email_request_is_sent_through_sendgrid_and_its_delivery_recorded(
    local_stack: dict[str, Any],
) -> None:
    sendgrid, api = local_stack["fakes"]["sendgrid"], local_stack["apps"]["comms"]
    address = f"lee.{uuid.uuid4().hex[:8]}@example.com"
    with requests.Session() as session:
        # The comms profile aimed the fake's Event Webhook at the demo company's route.
        webhook = session.get(
            f"{sendgrid}/v3/user/webhooks/event/settings",
            headers={"Authorization": f"Bearer {LOCAL_SENDGRID_KEY}"},
            timeout=10,
        )
        accepted = session.post(
            f"{api}/initiate-conversation",
            headers={"x-api-key": local_stack["api_keys"]["comms"]},
            json={
                "company_data": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID},
                "recipient_data": {
                    "recipient_first_name": "Lee",
                    "recipient_email": address,
                    "comms_consent": True,
                },
                "project_data": {"jobRole": "Healthcare Assistant"},
                "request_data": {
                    "request_id": str(uuid.uuid4()),
                    "channel_method": "email",
                    "initial_request_timestamp": "2026-11-23T08:00:00Z",
                },
            },
            timeout=10,
        )
        (mail,) = wait_for(
            lambda: [
                m
                for m in session.get(f"{sendgrid}/_mail", timeout=10).json()["mail"]
                if address in m["to"]
            ]
        )

    assert webhook.status_code == 200 and webhook.json()["enabled"] is True
    assert webhook.json()["url"] == (
        f"{api}/sendgrid/events?company_id={DEMO_COMPANY_ID}&project_id={DEMO_PROJECT_ID}"
    )
    assert accepted.status_code == 200, accepted.text
    conversation_id = accepted.json()["conversation_id"]
    assert mail["request"]["custom_args"]["conversation_id"] == conversation_id
    record = wait_for(
        lambda: (
            conversation(local_stack, address, conversation_id).get("delivery_status")
            == "delivered"
            and conversation(local_stack, address, conversation_id)
        )
    )
    assert record["conversation_status"] == "initial_message_sent"
    assert record["message_sid"] == mail["message_id"]
    log = Path(local_stack["logs"]) / "comms-api-handler-dev.log"
    assert '"message":"delivery events"' in log.read_text()
