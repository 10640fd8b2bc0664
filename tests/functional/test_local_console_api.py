"""The local console's JSON API against a moto server: what the catalog takes from the
program's record, a "try it" request sent to an app with the key its route needs, a
state machine's graph, a table paged with its token, a dead-letter queue looked at, redriven
(only what it held when the move began, attributes kept) and a message deleted by id, a
schedule fired, a log's tail and the inbox, a fake's faults armed and cleared, and the
requests it refuses (not loopback, not JSON, a name the program does not declare)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from devstack.console import start_console
from devstack.console.catalog import Catalog, Route, build_catalog
from devstack.console.server import Console
from devstack.fakes.base import FakeServer
from devstack.mocks import OfflineMocks
from devstack.program import DeclaredResource, RecordingMocks, run_program
from devstack.pulumi_mocks import MockResourceArgs
from devstack.services.events.schedules import ScheduledTarget, parse_schedule
from devstack.services.outputs import ACCOUNT_ID
from infra.registry import SYSTEMS
from tests.e2e.support import wait_for

REGION = "eu-north-1"
QUEUE, DLQ = "jobs-dev", "jobs-dlq-dev"
TABLE = "things-dev"
PAIRS = "pairs-dev"  # a sort key and an index, for queries
FUNCTION = "demo-work-dev"
MACHINE = "demo-pipeline-dev"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/demo-pipeline"
DEFINITION = {
    "StartAt": "Check",
    "States": {
        "Work": {"Type": "Pass", "End": True},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Work"}],
            "Default": "Stop",
        },
        "Stop": {"Type": "Fail", "Error": "NotToday"},
    },
}
SECURITY = {
    "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
    "DemoHeader": {  # a Lambda authorizer reading a header: not the API key
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom",
    },
    "DemoUsers": {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "cognito_user_pools",
    },
}
# The routes of the demo API, as `chalice package` writes them into its Swagger.
SWAGGER = {
    "swagger": "2.0",
    "securityDefinitions": SECURITY,
    "paths": {
        "/things": {"post": {"security": [{"api_key": []}]}},
        "/things/{thing_id}": {
            "get": {"security": [{"api_key": []}]},
            "delete": {"security": [{"DemoUsers": []}]},
        },
        "/things/mine": {"get": {"security": [{"DemoUsers": []}]}},
        "/hooks": {"post": {}},
        "/hooks/custom": {"post": {"security": [{"DemoHeader": []}]}},
    },
}


class Record(RecordingMocks):
    """A program's record written by hand: the resources the console is shown."""

    def create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        raise AssertionError("not run as a program")


def _resource(kind: str, name: str, inputs: dict[str, Any], **outputs: Any) -> DeclaredResource:
    tags = {"system": "demo"}
    return DeclaredResource(kind, name, {"tags": tags, **inputs}, name, outputs)


@dataclass
class Stack:
    url: str
    aws: boto3.session.Session
    endpoint: str
    state: Path
    fired: list[ScheduledTarget] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return self.aws.client(service, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    def queue_url(self, name: str) -> str:
        return str(self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    server = FakeServer("twilio")
    server.start()
    yield server
    server.stop()


class EchoHandler(BaseHTTPRequestHandler):
    """The demo app: answers each request with what it received, as JSON (201 for a
    POST), with a header of its own."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": self.rfile.read(length).decode() if length else None,
        }
        body = json.dumps(received).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Demo", "echo")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _echo


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fake: FakeServer, app: str) -> Iterator[Stack]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # Executions run their states (moto's switch), as on the local stack.
    _moto_config(endpoint, execute=True)
    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id="local", aws_secret_access_key="local"
    )
    sqs = session.client("sqs", endpoint_url=endpoint)
    dlq = sqs.create_queue(QueueName=DLQ)["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{DLQ}"
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    queue = sqs.create_queue(QueueName=QUEUE, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    session.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    session.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName=PAIRS,
        KeySchema=[
            {"AttributeName": "owner", "KeyType": "HASH"},
            {"AttributeName": "n", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
            {"AttributeName": "colour", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{FUNCTION}"
    record = Record(REGION)
    record.resources = [
        _resource("aws:sqs/queue:Queue", DLQ, {"name": DLQ}, url=dlq, arn=dlq_arn),
        _resource(
            "aws:sqs/queue:Queue",
            QUEUE,
            {"name": QUEUE, "redrivePolicy": policy},
            url=queue,
            arn=dlq_arn.replace(DLQ, QUEUE),
        ),
        _resource("aws:dynamodb/table:Table", TABLE, {"name": TABLE, "hashKey": "id"}),
        _resource(
            "aws:dynamodb/table:Table",
            PAIRS,
            {
                "name": PAIRS,
                "hashKey": "owner",
                "rangeKey": "n",
                "attributes": [
                    {"name": "owner", "type": "S"},
                    {"name": "n", "type": "N"},
                    {"name": "colour", "type": "S"},
                ],
                "globalSecondaryIndexes": [
                    {
                        "name": "by-colour",
                        "keySchemas": [{"attributeName": "colour", "keyType": "HASH"}],
                    }
                ],
            },
        ),
        _resource(
            "aws:lambda/function:Function",
            FUNCTION,
            {"name": FUNCTION, "handler": "app.work", "tags": {"system": "demo"}},
            arn=function_arn,
        ),
        _resource("aws:apigateway/restApi:RestApi", "demo", {"body": json.dumps(SWAGGER)}),
    ]
    machine_arn = session.client("stepfunctions", endpoint_url=endpoint).create_state_machine(
        name=MACHINE, definition=json.dumps(DEFINITION), roleArn=ROLE
    )["stateMachineArn"]
    record.resources.append(
        _resource(
            "aws:sfn/stateMachine:StateMachine",
            MACHINE,
            {"name": MACHINE, "definition": json.dumps(DEFINITION)},
            arn=machine_arn,
        )
    )
    schedule = parse_schedule("rate(15 minutes)")
    now = datetime.now(UTC)
    target = ScheduledTarget(
        f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/demo-every-quarter",
        schedule,
        function_arn,
        None,
        schedule.next_after(now),
    )
    state = tmp_path_factory.mktemp("console")
    description = {
        "apps": {"demo": app},
        "api_keys": {"demo": "the-key"},
        "aws_endpoint": endpoint,
        "logs": str(state / "logs"),
        "inbox": str(state / "inbox"),
        "fault_controls": {"twilio": f"{fake.url}/_faults"},
    }
    with ExitStack() as exits:
        fired: list[ScheduledTarget] = []
        url = start_console(record, description, session, [target], fired.append, exits)
        yield Stack(url, session, endpoint, state, fired)
    # moto's backends and switches are process-wide: left as found for other modules.
    _moto_config(endpoint, execute=False)
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    moto.stop()


def _moto_config(endpoint: str, execute: bool) -> None:
    requests.post(
        f"{endpoint}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": execute}},
        timeout=10,
    ).raise_for_status()


def _routes(catalog: Catalog, system: str) -> list[Route]:
    api = catalog.systems[system].api
    assert api is not None, f"{system} has no API in the catalog"
    return api.routes


def test_the_catalog_is_what_the_program_declares_grouped_by_system() -> None:
    mocks = run_program("dev", OfflineMocks(REGION))
    apps = {name: f"http://127.0.0.1:{8000 + n}" for n, name in enumerate(SYSTEMS)}
    catalog = build_catalog(mocks, [], apps, {"comms": "k"})
    comms = catalog.systems["comms"]

    assert "conversations-dev" in comms.tables
    assert "ai-multi-comms-whatsapp-dlq-dev" in comms.queues
    assert comms.api is not None
    assert (comms.api.url, comms.api.key) == (apps["comms"], "k")
    routes = {(r.method, r.path): r for r in comms.api.routes}
    assert routes["POST", "/initiate-conversation"].api_key
    assert routes["POST", "/initiate-conversation"].body
    assert not routes["POST", "/twilio/status"].api_key  # Twilio signs it instead
    patches = {(r.method, r.path): r for r in _routes(catalog, "patches")}
    assert patches["GET", "/patches/{patch_id}/discussions"].params == ["patch_id"]
    assert not patches["GET", "/patches/{patch_id}/discussions"].body
    trends = {(r.method, r.path): r for r in _routes(catalog, "trends")}
    assert trends["PUT", "/config"].authorizer == "TrendsUsers"
    assert not trends["PUT", "/config"].api_key
    dlq = catalog.queues["ai-multi-comms-whatsapp-dlq-dev"]
    assert dlq.source == "ai-multi-comms-whatsapp-queue-dev"
    assert catalog.queues[dlq.source].dead_letter == dlq.name
    assert "comms-whatsapp-processor-dev" in comms.functions
    assert "ai-multi-comms-whatsapp-dlq-dev-not-empty" in catalog.alarms


def test_the_overview_gives_each_system_its_api_and_resources(stack: Stack) -> None:
    (demo,) = requests.get(f"{stack.url}/api/overview", timeout=10).json()["systems"]

    assert demo["name"] == "demo"
    assert demo["api"]["key"] == "the-key"
    assert [(r["method"], r["path"], r["api_key"]) for r in demo["api"]["routes"]] == [
        ("POST", "/hooks", False),
        ("POST", "/hooks/custom", False),
        ("POST", "/things", True),
        ("GET", "/things/mine", False),
        ("GET", "/things/{thing_id}", True),
        ("DELETE", "/things/{thing_id}", False),
    ]
    assert demo["queues"] == [DLQ, QUEUE]
    assert demo["tables"] == [TABLE, PAIRS]
    assert demo["functions"] == [FUNCTION]
    assert demo["schedules"] == ["demo-every-quarter"]
    assert demo["state_machines"] == [MACHINE]


def _try(stack: Stack, request: dict[str, Any], system: str = "demo") -> requests.Response:
    return requests.post(f"{stack.url}/api/systems/{system}/request", json=request, timeout=30)


def test_a_route_is_tried_with_its_path_query_body_and_the_api_key(stack: Stack) -> None:
    answer = _try(
        stack,
        {"method": "POST", "path": "/things", "query": "dry=1&tag=a b", "body": {"n": 1}},
    ).json()
    received = json.loads(answer["body"])

    assert answer["status"] == 201
    assert answer["headers"]["X-Demo"] == "echo"
    assert answer["route"] == "POST /things"
    assert received["path"] == "/things?dry=1&tag=a+b"
    assert json.loads(received["body"]) == {"n": 1}
    assert received["headers"]["x-api-key"] == "the-key"
    assert "authorization" not in received["headers"]


def test_a_path_parameter_matches_and_a_literal_segment_wins(stack: Stack) -> None:
    thing = json.loads(_try(stack, {"method": "GET", "path": "/things/t%2F1"}).json()["body"])
    mine = _try(stack, {"method": "GET", "path": "/things/mine", "token": "id-token"}).json()

    assert thing["path"] == "/things/t%2F1"
    assert thing["headers"]["x-api-key"] == "the-key"
    assert mine["route"] == "GET /things/mine"
    assert json.loads(mine["body"])["headers"]["authorization"] == "id-token"


def test_a_cognito_route_gets_the_token_given_and_not_the_key(stack: Stack) -> None:
    received = json.loads(
        _try(stack, {"method": "DELETE", "path": "/things/t-1", "token": " id-token\n"}).json()[
            "body"
        ]
    )
    open_route = json.loads(
        _try(stack, {"method": "POST", "path": "/hooks", "token": "id-token"}).json()["body"]
    )

    assert received["method"] == "DELETE"
    assert received["headers"]["authorization"] == "id-token"
    assert "x-api-key" not in received["headers"]
    assert "authorization" not in open_route["headers"]
    assert "x-api-key" not in open_route["headers"]


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        ({"method": "PUT", "path": "/things"}, 404),  # no such method
        ({"method": "GET", "path": "/things/a/b"}, 404),  # a parameter is one segment
        ({"method": "GET", "path": "/things/.."}, 400),
        ({"method": "GET", "path": "things"}, 400),
        ({"method": "GET", "path": "/things/x?admin=1"}, 400),
        ({"method": "GET", "path": "/things/mine", "extra": 1}, 400),
        ({"path": "/things"}, 400),
    ],
)
def test_a_request_no_declared_route_takes_is_not_sent(
    stack: Stack, request_: dict[str, Any], status: int
) -> None:
    answer = _try(stack, request_)

    assert answer.status_code == status
    assert answer.json()["status"] == "error"


def test_a_table_is_paged_with_the_token_of_the_page_before(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    for n in range(3):
        item = {"id": {"S": f"item-{n}"}, "count": {"N": str(n)}, "tags": {"SS": ["a", "b"]}}
        dynamodb.put_item(TableName=TABLE, Item=item)

    first = requests.get(f"{stack.url}/api/tables/{TABLE}/items?limit=2", timeout=10).json()
    second = requests.get(
        f"{stack.url}/api/tables/{TABLE}/items",
        params={"limit": 2, "next": first["next"]},
        timeout=10,
    ).json()

    items = first["items"] + second["items"]
    assert sorted(i["id"] for i in items) == ["item-0", "item-1", "item-2"]
    assert {i["count"] for i in items} == {0, 1, 2}
    assert items[0]["tags"] == ["a", "b"]
    assert len(first["items"]) == 2
    assert second["next"] is None


def _query(stack: Stack, **parameters: Any) -> requests.Response:
    return requests.get(f"{stack.url}/api/tables/{PAIRS}/query", params=parameters, timeout=10)


def test_a_table_or_its_index_is_queried_by_key(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    for owner, n, colour in [
        ("ana", 1, "red"),
        ("ana", 2, "blue"),
        ("ana", 10, "red"),
        ("bo", 1, "red"),
    ]:
        item = {"owner": {"S": owner}, "n": {"N": str(n)}, "colour": {"S": colour}}
        dynamodb.put_item(TableName=PAIRS, Item=item)

    everything = _query(stack, hash="ana").json()
    above_one = _query(stack, hash="ana", range_op=">", range="1").json()
    red = _query(stack, index="by-colour", hash="red").json()
    paged = _query(stack, hash="ana", limit=2).json()
    rest = _query(stack, hash="ana", limit=2, next=paged["next"]).json()

    assert [i["n"] for i in everything["items"]] == [1, 2, 10]  # in sort key order
    assert [i["n"] for i in above_one["items"]] == [2, 10]
    assert sorted((i["owner"], i["n"]) for i in red["items"]) == [
        ("ana", 1),
        ("ana", 10),
        ("bo", 1),
    ]
    assert [i["n"] for i in paged["items"] + rest["items"]] == [1, 2, 10]
    assert rest["next"] is None
    keys = requests.get(f"{stack.url}/api/overview", timeout=10).json()["tables"][PAIRS]
    assert keys == {"": ["owner", "n"], "by-colour": ["colour", None]}


@pytest.mark.parametrize(
    ("parameters", "status"),
    [
        ({"hash": "ana", "range": "one"}, 400),  # n is a number
        ({"hash": "ana", "range_op": "contains", "range": "1"}, 400),
        ({"index": "by-colour", "hash": "red", "range": "1"}, 400),  # it has no sort key
        ({"hash": ""}, 400),
        ({"index": "by-size", "hash": "x"}, 404),
    ],
)
def test_a_query_the_table_cannot_answer_is_refused(
    stack: Stack, parameters: dict[str, str], status: int
) -> None:
    answer = _query(stack, **parameters)

    assert answer.status_code == status
    assert answer.json()["status"] == "error"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"/api/tables/{TABLE}/items?next=not-a-token", 400, "INVALID_REQUEST"),
        (f"/api/tables/{TABLE}/items?limit=0", 400, "INVALID_REQUEST"),
        ("/api/tables/undeclared-dev/items", 404, "NOT_FOUND"),
        ("/api/functions/undeclared-dev/log", 404, "NOT_FOUND"),
        ("/api/nothing", 404, "NOT_FOUND"),
    ],
)
def test_bad_input_and_undeclared_names_get_the_shared_error_shape(
    stack: Stack, path: str, status: int, code: str
) -> None:
    answer = requests.get(f"{stack.url}{path}", timeout=10)

    assert answer.status_code == status
    assert answer.json()["status"] == "error"
    assert answer.json()["error_code"] == code


def test_a_dlq_is_redriven_to_its_source_with_its_attributes(stack: Stack) -> None:
    sqs = stack.client("sqs")
    attributes = {"reason": {"DataType": "String", "StringValue": "poison"}}
    sqs.send_message(
        QueueUrl=stack.queue_url(DLQ), MessageBody="dead", MessageAttributes=attributes
    )

    (looked,) = requests.get(f"{stack.url}/api/queues/{DLQ}/messages", timeout=10).json()[
        "messages"
    ]
    moved = requests.post(f"{stack.url}/api/queues/{DLQ}/redrive", json={}, timeout=30).json()
    (back,) = sqs.receive_message(QueueUrl=stack.queue_url(QUEUE), MessageAttributeNames=["All"])[
        "Messages"
    ]
    sqs.delete_message(QueueUrl=stack.queue_url(QUEUE), ReceiptHandle=back["ReceiptHandle"])
    depths = {
        q["name"]: q for q in requests.get(f"{stack.url}/api/queues", timeout=10).json()["queues"]
    }

    assert (looked["body"], looked["attributes"]) == ("dead", {"reason": "poison"})
    assert moved == {"moved": 1}
    assert back["Body"] == "dead"
    assert back["MessageAttributes"]["reason"]["StringValue"] == "poison"
    assert depths[DLQ]["depth"] == 0
    assert depths[QUEUE]["dead_letter"] == DLQ


def test_only_a_dlq_can_be_redriven(stack: Stack) -> None:
    answer = requests.post(f"{stack.url}/api/queues/{QUEUE}/redrive", json={}, timeout=10)

    assert answer.status_code == 400


def test_one_message_is_deleted_by_its_id_and_the_others_stay(stack: Stack) -> None:
    sqs, url = stack.client("sqs"), stack.queue_url(DLQ)
    kept = sqs.send_message(QueueUrl=url, MessageBody="kept")["MessageId"]
    gone = sqs.send_message(QueueUrl=url, MessageBody="gone")["MessageId"]

    deleted = requests.delete(f"{stack.url}/api/queues/{DLQ}/messages/{gone}", timeout=40)
    again = requests.delete(f"{stack.url}/api/queues/{DLQ}/messages/{gone}", timeout=40)
    sqs.purge_queue(QueueUrl=url)  # what is left of it, for the other tests

    assert deleted.json() == {"deleted": gone}
    assert again.status_code == 404
    assert kept != gone


def test_a_schedule_is_fired_through_the_stack_and_shows_its_next_time(stack: Stack) -> None:
    (listed,) = requests.get(f"{stack.url}/api/schedules", timeout=10).json()["schedules"]
    fired = requests.post(f"{stack.url}/api/schedules/demo-every-quarter/fire", json={}, timeout=10)

    assert listed["expression"] == "rate(15 minutes)"
    assert datetime.fromisoformat(listed["next_fire"]) > datetime.now(UTC)
    assert fired.status_code == 200
    assert [t.rule.rsplit("/", 1)[-1] for t in stack.fired] == ["demo-every-quarter"]


def test_a_functions_log_tail_and_the_inbox_are_read_from_the_state_folder(stack: Stack) -> None:
    logs = stack.state / "logs"
    logs.mkdir(exist_ok=True)
    (logs / f"{FUNCTION}.log").write_text("".join(f"line {n}\n" for n in range(10)))
    inbox = stack.state / "inbox"
    inbox.mkdir(exist_ok=True)
    for stamp in ("20261201T000000Z", "20261202T000000Z"):
        mail = {"to": "ops@example.com", "subject": f"ALARM {stamp}", "body": "b", "sent_at": stamp}
        (inbox / f"{stamp}-x.json").write_text(json.dumps(mail))

    log = requests.get(f"{stack.url}/api/functions/{FUNCTION}/log?lines=3", timeout=10).json()
    mails = requests.get(f"{stack.url}/api/alarms", timeout=10).json()["inbox"]

    assert log == {"lines": ["line 7", "line 8", "line 9"]}
    assert [m["subject"] for m in mails] == ["ALARM 20261202T000000Z", "ALARM 20261201T000000Z"]


def test_a_fakes_fault_is_armed_listed_and_cleared(stack: Stack, fake: FakeServer) -> None:
    fault = {"path_contains": "/Messages", "status": 503, "times": 2}

    armed = requests.post(f"{stack.url}/api/faults/twilio", json=fault, timeout=10)
    listed = requests.get(f"{stack.url}/api/faults", timeout=10).json()["faults"]["twilio"]
    refused = requests.post(f"{stack.url}/api/faults/twilio", json={"status": 99}, timeout=10)
    cleared = requests.delete(f"{stack.url}/api/faults/twilio", timeout=10)

    assert armed.status_code == 200
    assert [(f["status"], f["times_left"]) for f in listed["faults"]] == [(503, 2)]
    assert refused.status_code == 400
    assert cleared.json() == {"cleared": 1}
    assert fake.faults.listing() == []


def test_a_change_must_come_as_json(stack: Stack) -> None:
    answer = requests.post(
        f"{stack.url}/api/faults/twilio",
        data="status=503",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )

    assert answer.status_code == 400
    assert requests.get(f"{stack.url}/api/faults", timeout=10).json()["faults"]["twilio"] == {
        "faults": []
    }


def test_a_request_for_another_host_name_is_refused(stack: Stack) -> None:
    """A page on another site that resolves its name to 127.0.0.1 (DNS rebinding)."""
    host, port = stack.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/api/overview", headers={"Host": f"attacker.example:{port}"})
    answer = connection.getresponse()

    assert answer.status == 403
    assert json.loads(answer.read())["error_code"] == "FORBIDDEN"


def test_the_console_listens_on_loopback_only(stack: Stack) -> None:
    record = Record(REGION)
    catalog = build_catalog(record, [], {}, {})
    with pytest.raises(ValueError, match="loopback"):
        Console(_context_for(catalog, stack), host="0.0.0.0")


def _context_for(catalog: Any, stack: Stack) -> Any:
    from devstack.console.server import ConsoleContext

    return ConsoleContext(
        catalog, stack.aws, stack.endpoint, stack.state, stack.state, {}, lambda _: None
    )


def _history(stack: Stack, execution: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = requests.get(
        f"{stack.url}/api/state-machines/{MACHINE}/history",
        params={"execution": execution},
        timeout=10,
    ).json()["events"]
    return events


def test_a_state_machine_is_drawn_from_its_definition_with_its_executions(stack: Stack) -> None:
    """The graph from the definition the service holds (DescribeStateMachine)."""
    sfn = stack.client("stepfunctions")
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    went = sfn.start_execution(stateMachineArn=machine, name="went", input='{"go": true}')
    stopped = sfn.start_execution(stateMachineArn=machine, name="stopped", input='{"go": false}')

    def finished() -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = requests.get(
            f"{stack.url}/api/state-machines/{MACHINE}/executions", timeout=10
        ).json()["executions"]
        return [e for e in listed if e["status"] != "RUNNING"]

    executions = {
        e["name"]: e["status"] for e in wait_for(lambda: len(finished()) == 2 and finished())
    }
    graph = requests.get(f"{stack.url}/api/state-machines/{MACHINE}/graph", timeout=10).json()
    went_path = [
        e["state"]
        for e in _history(stack, went["executionArn"])
        if e["type"].endswith("StateEntered")
    ]
    failed = [e for e in _history(stack, stopped["executionArn"]) if e["error"]]

    assert {n["state"]: n["type"] for n in graph["nodes"] if n["state"]} == {
        "Check": "Choice",
        "Work": "Pass",
        "Stop": "Fail",
    }
    assert sorted((e["source"], e["target"], e["kind"]) for e in graph["edges"]) == [
        ("Check", "Stop", "default"),
        ("Check", "Work", "choice"),
        ("Stop", "end:", "end"),
        ("Work", "end:", "end"),
        ("start:", "Check", "start"),
    ]
    assert executions == {"went": "SUCCEEDED", "stopped": "FAILED"}
    assert went_path == ["Check", "Work"]
    assert failed[-1]["error"] == "NotToday"


def test_only_an_execution_of_the_machine_asked_for_is_looked_at(stack: Stack) -> None:
    other = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:another-machine:run-1"

    answer = requests.get(
        f"{stack.url}/api/state-machines/{MACHINE}/history",
        params={"execution": other},
        timeout=10,
    )

    assert answer.status_code == 400
