"""What the console reads and does, as plain functions taking their clients: each is one or
a few calls of the AWS API the apps use (moto's endpoint, the local Lambda service), so
the console can do nothing a user could not do with those APIs.

Errors: ``NotFoundError`` for an unknown name or message, ``BadRequestError`` for input the
console refuses; botocore's ``ClientError`` passes through (the server maps it).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections import deque
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from boto3.dynamodb.types import Binary, TypeDeserializer

from devstack.console.catalog import Queue, Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

# SQS's limit for one receive or batch.
SQS_BATCH = 10
# Each message is hidden this long while it is moved or looked for: long enough for a send
# and a delete, short enough that one left behind (a crash) comes back soon.
MOVE_VISIBILITY = 30
PAGE_SIZES = range(1, 101)


class ConsoleError(Exception):
    status = 500
    code = "INTERNAL_ERROR"


class NotFoundError(ConsoleError):
    status = 404
    code = "NOT_FOUND"


class BadRequestError(ConsoleError):
    status = 400
    code = "INVALID_REQUEST"


def plain(value: Any) -> Any:
    """A DynamoDB (or boto3) value as JSON can hold it: numbers as numbers, sets as sorted
    lists, bytes as base64, times as ISO 8601."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=str)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Binary):  # its bytes are ``value`` (the stubs do not say so)
        return base64.b64encode(getattr(value, "value")).decode()  # noqa: B009
    return value


def _token(key: dict[str, Any] | None) -> str | None:
    """DynamoDB's LastEvaluatedKey as an opaque page token (its wire form, base64)."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _start_key(token: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error) as err:
        raise BadRequestError("the page token is not one this console gave") from err
    if not isinstance(key, dict):
        raise BadRequestError("the page token is not one this console gave")
    return key


def scan_page(
    dynamodb: DynamoDBClient, table: str, limit: int, token: str | None
) -> dict[str, Any]:
    """One page of a table's items (a Scan from the previous page's ``LastEvaluatedKey``),
    as plain JSON, with the token of the next page (None after the last)."""
    if limit not in PAGE_SIZES:
        raise BadRequestError(f"limit must be 1-{PAGE_SIZES[-1]}")
    arguments: dict[str, Any] = {"TableName": table, "Limit": limit}
    if token:
        arguments["ExclusiveStartKey"] = _start_key(token)
    page = dynamodb.scan(**arguments)
    deserialize = TypeDeserializer().deserialize
    items = [plain({k: deserialize(v) for k, v in item.items()}) for item in page["Items"]]
    return {"items": items, "next": _token(page.get("LastEvaluatedKey"))}


# A sort key condition on the query form -> DynamoDB's KeyConditionExpression.
RANGE_CONDITIONS = {
    "=": "#r = :r",
    "<": "#r < :r",
    "<=": "#r <= :r",
    ">": "#r > :r",
    ">=": "#r >= :r",
    "begins_with": "begins_with(#r, :r)",
}


def _key_value(kind: str, text: str, name: str) -> dict[str, Any]:
    """A key value typed as the table declares the attribute (S, N or B: base64)."""
    if kind == "N":
        try:
            Decimal(text)
        except ArithmeticError as err:
            raise BadRequestError(f"{name} is a number: {text!r} is not one") from err
        return {"N": text}
    if kind == "B":
        try:
            return {"B": base64.b64decode(text, validate=True)}
        except binascii.Error as err:
            raise BadRequestError(f"{name} is binary: give it in base64") from err
    return {"S": text}


def query_page(
    dynamodb: DynamoDBClient,
    table: Table,
    index: str,
    hash_value: str,
    range_condition: tuple[str, str] | None,
    limit: int,
    token: str | None,
) -> dict[str, Any]:
    """One page of a Query on the table (``index`` "") or one of its indexes: the items
    whose hash key is ``hash_value`` and, with ``range_condition`` (an operator of
    ``RANGE_CONDITIONS`` and a value), whose sort key meets it."""
    if index not in table.keys:
        raise NotFoundError(f"{table.name} has no index {index!r}")
    if limit not in PAGE_SIZES:
        raise BadRequestError(f"limit must be 1-{PAGE_SIZES[-1]}")
    hash_name, range_name = table.keys[index]
    expression = "#h = :h"
    names = {"#h": hash_name}
    values = {":h": _key_value(table.types.get(hash_name, "S"), hash_value, hash_name)}
    if range_condition is not None:
        operator, text = range_condition
        if range_name is None or operator not in RANGE_CONDITIONS:
            raise BadRequestError(f"no sort key condition {operator!r} here")
        expression += f" AND {RANGE_CONDITIONS[operator]}"
        names["#r"] = range_name
        values[":r"] = _key_value(table.types.get(range_name, "S"), text, range_name)
    arguments: dict[str, Any] = {
        "TableName": table.name,
        "KeyConditionExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "Limit": limit,
    }
    if index:
        arguments["IndexName"] = index
    if token:
        arguments["ExclusiveStartKey"] = _start_key(token)
    page = dynamodb.query(**arguments)
    deserialize = TypeDeserializer().deserialize
    items = [plain({k: deserialize(v) for k, v in item.items()}) for item in page["Items"]]
    return {"items": items, "next": _token(page.get("LastEvaluatedKey"))}


def queue_depths(sqs: SQSClient, queue: Queue) -> dict[str, Any]:
    """A queue's visible and in-flight messages (SQS's approximate counts)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return {
        "name": queue.name,
        "system": queue.system,
        "depth": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        "source": queue.source,
        "dead_letter": queue.dead_letter,
        "max_receive_count": queue.max_receive_count,
    }


def _message(message: Any) -> dict[str, Any]:
    attributes = {
        name: value.get("StringValue", value.get("BinaryValue"))
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "message_id": message["MessageId"],
        "body": message["Body"],
        "attributes": plain(attributes),
        "system_attributes": message.get("Attributes") or {},
    }


def peek_messages(sqs: SQSClient, queue: Queue) -> list[dict[str, Any]]:
    """Up to 10 of a queue's messages, left visible again at once (a receive with visibility
    0, as the AWS console's "poll for messages": it counts as a receive)."""
    received = sqs.receive_message(
        QueueUrl=queue.url,
        MaxNumberOfMessages=SQS_BATCH,
        VisibilityTimeout=0,
        MessageAttributeNames=["All"],
        AttributeNames=["All"],
    )
    return [_message(m) for m in received.get("Messages", [])]


def redrive(sqs: SQSClient, dead_letter: Queue, source: Queue) -> int:
    """Move the messages a dead-letter queue holds back to its source queue, as SQS's
    StartMessageMoveTask does (moto has none): body and message attributes kept, and only
    the messages that were in it when the move began (one that fails again and comes back
    meanwhile stays, and is made visible again at once). Each batch is sent before it is
    deleted, so a failure part way leaves a message in both queues, never in neither.
    Returns how many moved."""
    started = time.time() * 1000  # SentTimestamp's unit
    moved = 0
    while True:
        received = sqs.receive_message(
            QueueUrl=dead_letter.url,
            MaxNumberOfMessages=SQS_BATCH,
            VisibilityTimeout=MOVE_VISIBILITY,
            MessageAttributeNames=["All"],
            AttributeNames=["SentTimestamp"],
        ).get("Messages", [])
        older = [m for m in received if int(m["Attributes"]["SentTimestamp"]) <= started]
        newer = [m for m in received if m not in older]
        if newer:
            sqs.change_message_visibility_batch(
                QueueUrl=dead_letter.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(newer)
                ],
            )
        if not older:
            return moved
        moved += _move(sqs, older, dead_letter, source)


def _move(sqs: SQSClient, messages: list[Any], dead_letter: Queue, source: Queue) -> int:
    entries: list[Any] = []
    for index, message in enumerate(messages):
        entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["Body"]}
        if message.get("MessageAttributes"):
            entry["MessageAttributes"] = message["MessageAttributes"]
        entries.append(entry)
    sent = sqs.send_message_batch(QueueUrl=source.url, Entries=entries)
    done = [messages[int(s["Id"])] for s in sent.get("Successful", [])]
    if done:
        sqs.delete_message_batch(
            QueueUrl=dead_letter.url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
            ],
        )
    if sent.get("Failed"):
        raise BadRequestError(f"{len(sent['Failed'])} messages could not be sent back")
    return len(done)


def delete_message(sqs: SQSClient, queue: Queue, message_id: str) -> None:
    """Delete one message by its id: receive until it turns up (those passed over stay
    hidden for ``MOVE_VISIBILITY`` seconds, as any consumer's would), then delete it.

    Raises:
        NotFoundError: it is not (or no longer) in the queue.
    """
    seen: set[str] = set()
    while True:
        received = sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=SQS_BATCH, VisibilityTimeout=MOVE_VISIBILITY
        ).get("Messages", [])
        fresh = [m for m in received if m["MessageId"] not in seen]
        if not fresh:
            raise NotFoundError(f"no message {message_id} in {queue.name}")
        for message in fresh:
            if message["MessageId"] == message_id:
                sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
                return
            seen.add(message["MessageId"])


def alarm_states(cloudwatch: Any, names: list[str]) -> list[dict[str, Any]]:
    """Each declared alarm's state and why, as CloudWatch holds it."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(names), 100):  # DescribeAlarms takes 100 names at most
        pages = cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNames=names[start : start + 100]
        )
        for page in pages:
            for alarm in page["MetricAlarms"]:
                found.append(
                    {
                        "name": alarm["AlarmName"],
                        "state": alarm["StateValue"],
                        "reason": alarm.get("StateReason", ""),
                        "updated": plain(alarm.get("StateUpdatedTimestamp")),
                        "description": alarm.get("AlarmDescription", ""),
                    }
                )
    return sorted(found, key=lambda a: (a["state"] != "ALARM", a["name"]))


def inbox(directory: Path, limit: int = 50) -> list[dict[str, Any]]:
    """The newest e-mails in the local inbox (their file names sort by time)."""
    if not directory.is_dir():
        return []
    mails = []
    for path in sorted(directory.glob("*.json"), reverse=True)[:limit]:
        mail = json.loads(path.read_text())
        mails.append({k: mail.get(k) for k in ("to", "subject", "body", "sent_at")})
    return mails


def tail(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a function's log (none yet: it has not run)."""
    if not path.is_file():
        return []
    with path.open(errors="replace") as log:
        return [line.rstrip("\n") for line in deque(log, maxlen=lines)]


def invoke(lambda_client: LambdaClient, function: str, event: str) -> dict[str, Any]:
    """Invoke a function synchronously with ``event`` (JSON text) through the local Lambda
    service; its result, or its error document when it failed."""
    try:
        json.loads(event)
    except ValueError as err:
        raise BadRequestError(f"the event is not JSON: {err}") from err
    response = lambda_client.invoke(FunctionName=function, Payload=event.encode())
    return {
        "status": response["StatusCode"],
        "function_error": response.get("FunctionError"),
        "payload": response["Payload"].read().decode(errors="replace"),
    }


def executions(sfn: SFNClient, machine_arn: str) -> list[dict[str, Any]]:
    """A state machine's latest executions, newest first."""
    listed = sfn.list_executions(stateMachineArn=machine_arn, maxResults=50)["executions"]
    return [
        {
            "arn": e["executionArn"],
            "name": e["name"],
            "status": e["status"],
            "started": plain(e["startDate"]),
            "stopped": plain(e.get("stopDate")),
        }
        for e in listed
    ]


def start_execution(sfn: SFNClient, machine_arn: str, execution_input: Any) -> dict[str, Any]:
    """Start an execution with ``execution_input`` (any JSON value) as its input, named as
    the AWS console names one (a UUID; moto lists an unnamed one without its name)."""
    started = sfn.start_execution(
        stateMachineArn=machine_arn, name=str(uuid.uuid4()), input=json.dumps(execution_input)
    )
    return {"arn": started["executionArn"], "started": plain(started["startDate"])}


def definition(sfn: SFNClient, machine_arn: str) -> dict[str, Any]:
    """A state machine's definition (its ASL) as the service holds it."""
    document: dict[str, Any] = json.loads(
        sfn.describe_state_machine(stateMachineArn=machine_arn)["definition"]
    )
    return document


def history(sfn: SFNClient, execution_arn: str) -> list[dict[str, Any]]:
    """An execution's events in order: each with its type, the state it entered or left,
    and an error with its cause where one failed."""
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        for event in page["events"]:
            kind = str(event["type"])
            # One "...EventDetails" key, named for the kind of event (every state's entry
            # shares ``stateEnteredEventDetails``).
            found: dict[str, Any] = dict(event)
            details: dict[str, Any] = next(
                (v for k, v in found.items() if k.endswith("EventDetails")), {}
            )
            events.append(
                {
                    "id": event["id"],
                    "type": kind,
                    "time": plain(event["timestamp"]),
                    "state": details.get("name"),
                    "error": details.get("error"),
                    "cause": details.get("cause"),
                }
            )
    return events


def faults(http: requests.Session, controls: dict[str, str]) -> dict[str, Any]:
    """Each fake's armed faults (``GET <fake>/_faults``)."""
    return {name: _fault_call(http, "GET", url) for name, url in controls.items()}


def set_faults(
    http: requests.Session, url: str, method: str, fault: dict[str, Any] | None = None
) -> Any:
    """Arm a fault (``POST``, the fake validates it) or disarm all (``DELETE``)."""
    return _fault_call(http, method, url, fault)


def _fault_call(
    http: requests.Session, method: str, url: str, body: dict[str, Any] | None = None
) -> Any:
    answer = http.request(method, url, json=body, timeout=10)
    if 400 <= answer.status_code < 500:
        raise BadRequestError(f"the fake refused the fault: {answer.text[:500]}")
    answer.raise_for_status()
    return answer.json()
