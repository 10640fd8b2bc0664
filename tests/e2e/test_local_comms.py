"""comms on the local stack, as a user drives it: an e-mail request over HTTP, the mail in the
SendGrid fake, the record in DynamoDB, and SendGrid's signed delivery events posted to the
local API, where the comms profile aimed the fake's Event Webhook (as an operator sets it in a
company's SendGrid account); a WhatsApp send whose answer is lost, sent once; a poison
message in the DLQ with its alarm's mail.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from twilio.rest import Client as Twilio

from devstack.profiles.comms import (
    DEMO_COMPANY_ID,
    DEMO_PROJECT_ID,
    DEMO_TWILIO_ACCOUNT_SID,
    LOCAL_SENDGRID_KEY,
    LOCAL_TWILIO_TOKEN,
)
from tests.e2e.support import aws, wait_for

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


def test_a_whatsapp_request_whose_answer_is_lost_reaches_the_recipient_once(
    local_stack: dict[str, Any],
) -> None:
    """Twilio takes the message and the connection closes before its answer: the processor
    does not send again, asks Twilio on the redelivery, and records the message it lists."""
    twilio_url, api = local_stack["fakes"]["twilio"], local_stack["apps"]["comms"]
    phone = f"+4477009{uuid.uuid4().int % 10**5:05d}"
    with requests.Session() as session:
        armed = session.post(
            f"{twilio_url}/_faults",
            json={"path_contains": "/Messages.json", "action": "drop_after_handling", "times": 1},
            timeout=10,
        )
        accepted = session.post(
            f"{api}/initiate-conversation",
            headers={"x-api-key": local_stack["api_keys"]["comms"]},
            json={
                "company_data": {"company_id": DEMO_COMPANY_ID, "project_id": DEMO_PROJECT_ID},
                "recipient_data": {
                    "recipient_first_name": "Lee",
                    "recipient_tel": phone,
                    "comms_consent": True,
                },
                "project_data": {"jobRole": "Healthcare Assistant"},
                "request_data": {
                    "request_id": str(uuid.uuid4()),
                    "channel_method": "whatsapp",
                    "initial_request_timestamp": "2026-11-23T08:00:00Z",
                },
            },
            timeout=10,
        )
        assert armed.status_code == 201, armed.text
        assert accepted.status_code == 200, accepted.text
        conversation_id = accepted.json()["conversation_id"]
        record = wait_for(
            lambda: (
                conversation(local_stack, phone, conversation_id).get("conversation_status")
                == "initial_message_sent"
                and conversation(local_stack, phone, conversation_id)
            )
        )
        faults_left = session.get(f"{twilio_url}/_faults", timeout=10).json()["faults"]

    twilio = Twilio(DEMO_TWILIO_ACCOUNT_SID, LOCAL_TWILIO_TOKEN)
    twilio.api.base_url = twilio_url
    (message,) = twilio.messages.list(to=f"whatsapp:{phone}")
    assert record["message_sid"] == message.sid
    assert record["message_found_after_interruption"] is True
    assert faults_left == []  # the drop was spent on the one create
    log = (Path(local_stack["logs"]) / "comms-whatsapp-processor-dev.log").read_text()
    assert "DeliveryUnknownError: Twilio's answer was lost" in log


DLQ_ALARM = "ai-multi-comms-whatsapp-dlq-dev-not-empty"


def _dlq_alarm_mail(inbox: Path) -> set[Path]:
    return set(inbox.glob(f"*-{DLQ_ALARM}-*.json"))


def _dlq_alarm_state(local_stack: dict[str, Any]) -> str:
    (alarm,) = aws(local_stack, "cloudwatch").describe_alarms(AlarmNames=[DLQ_ALARM])[
        "MetricAlarms"
    ]
    return str(alarm["StateValue"])


def _empty(sqs: Any, url: str) -> None:
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_poison_message_on_the_whatsapp_queue_is_in_its_dlq_and_its_alarm_mails(
    local_stack: dict[str, Any],
) -> None:
    """Leaves the shared stack as it found it: the DLQ empty, its alarm back to OK, and no
    mail of this test's in the inbox (test_local_stack.py's DLQ test counts from none)."""
    sqs = aws(local_stack, "sqs")
    queue = sqs.get_queue_url(QueueName="ai-multi-comms-whatsapp-queue-dev")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="ai-multi-comms-whatsapp-dlq-dev")["QueueUrl"]
    inbox = Path(local_stack["inbox"])
    _empty(sqs, dlq)
    wait_for(lambda: _dlq_alarm_state(local_stack) != "ALARM")
    mail_before = _dlq_alarm_mail(inbox)
    body = json.dumps({"not": "a context object"})

    message_id = sqs.send_message(QueueUrl=queue, MessageBody=body)["MessageId"]
    try:
        # The inbox first: receiving from the DLQ would hide the message from its alarm.
        (mail,) = wait_for(
            lambda: [p for p in _dlq_alarm_mail(inbox) - mail_before if "-ALARM-" in p.name]
        )
        email = json.loads(mail.read_text())
        (dead,) = wait_for(
            lambda: sqs.receive_message(
                QueueUrl=dlq, MessageAttributeNames=["All"], AttributeNames=["All"]
            ).get("Messages")
        )
    finally:
        _empty(sqs, dlq)
        wait_for(lambda: _dlq_alarm_state(local_stack) == "OK")
        for path in _dlq_alarm_mail(inbox) - mail_before:
            path.unlink()

    assert email["subject"] == f'ALARM: "{DLQ_ALARM}" in Europe (Stockholm)'
    assert email["message"]["NewStateValue"] == "ALARM"
    assert dead["Body"] == body
    assert dead["Attributes"]["ApproximateReceiveCount"] == "1"  # moved at once, not redriven
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["poison_kind"] == "not_a_context"
    assert attributes["source_message_id"] == message_id
    assert attributes["source_queue_arn"].endswith(":ai-multi-comms-whatsapp-queue-dev")
    console = (local_stack["state"] / "output.log").read_text().splitlines()
    assert not [line for line in console if message_id in line and " failed " in line]
