"""csvchat: CSV files uploaded by signed-in users become tables Athena queries, and chats
answer questions about them in SQL (seed 003). Routes and consumers only; the logic is in
chalicelib/csvchat. Every route but the page and its configuration is behind the Cognito
user pool authorizer (the program gives it the pool's ARN)."""

from __future__ import annotations

from typing import Any

from chalice.app import CognitoUserPoolAuthorizer, DynamoDBEvent, Response, SQSEvent

from chalicelib.csvchat import names, page, wiring
from chalicelib.csvchat.conversation import ask, start_chat
from chalicelib.csvchat.datasets import public
from chalicelib.csvchat.identity import owner
from chalicelib.csvchat.models import (
    ChatRequest,
    CompleteRequest,
    MessageRequest,
    Preferences,
    QueryRequest,
    UploadRequest,
    parse_body,
)
from chalicelib.csvchat.processing import handle_batch
from chalicelib.csvchat.service import delete_dataset, list_datasets, owned, query_dataset
from chalicelib.csvchat.uploads import complete_upload, start_upload
from chalicelib.csvchat.usage import track_usage
from shared.api import ApiApp
from shared.http import json_response
from shared.observability import logger

app = ApiApp("csvchat", logger("csvchat-api"))
# The pool is the program's: it replaces this ARN in the API's Swagger with the real one.
users = CognitoUserPoolAuthorizer(
    names.AUTHORIZER, provider_arns=["arn:aws:cognito-idp:::userpool/set-by-the-program"]
)
# Placeholder stream (Chalice wants an ARN): the program maps it to the datasets table's.
DATASETS_STREAM = f"arn:aws:dynamodb:::table/{names.DATASETS_TABLE.base_name}/stream/placeholder"


def caller() -> str:
    return owner(app.request, wiring.client_id())


@app.route("/uploads", methods=["POST"], authorizer=users)
def create_upload_route() -> Response:
    request = parse_body(UploadRequest, app.request.raw_body)
    return json_response(201, start_upload(caller(), request, wiring.upload_deps(), wiring.now()))


@app.route("/uploads/{dataset_id}/complete", methods=["POST"], authorizer=users)
def complete_upload_route(dataset_id: str) -> Response:
    request = parse_body(CompleteRequest, app.request.raw_body)
    completed = complete_upload(caller(), dataset_id, request, wiring.upload_deps(), wiring.now())
    return json_response(200, completed)


@app.route("/datasets", methods=["GET"], authorizer=users)
def list_datasets_route() -> Response:
    return json_response(200, list_datasets(wiring.dataset_deps(), caller(), app.query))


@app.route("/datasets/{dataset_id}", methods=["GET"], authorizer=users)
def get_dataset_route(dataset_id: str) -> Response:
    return json_response(200, public(owned(wiring.dataset_deps(), caller(), dataset_id)))


@app.route("/datasets/{dataset_id}", methods=["DELETE"], authorizer=users)
def delete_dataset_route(dataset_id: str) -> Response:
    delete_dataset(wiring.dataset_deps(), caller(), dataset_id)
    return json_response(200, {"dataset_id": dataset_id, "deleted": True})


@app.route("/datasets/{dataset_id}/query", methods=["POST"], authorizer=users)
def query_dataset_route(dataset_id: str) -> Response:
    sql = parse_body(QueryRequest, app.request.raw_body).sql
    run = wiring.query_run(app.lambda_context)
    return json_response(200, query_dataset(wiring.dataset_deps(), run, caller(), dataset_id, sql))


@app.route("/", methods=["GET"])
def page_route() -> Response:
    html = page.html()
    return Response(
        body=html, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"}
    )


@app.route("/config", methods=["GET"])
def config_route() -> Response:
    return json_response(200, page.config(wiring.client_id()))


@app.route("/chats", methods=["POST"], authorizer=users)
def create_chat_route() -> Response:
    dataset_id = parse_body(ChatRequest, app.request.raw_body).dataset_id
    return json_response(201, start_chat(wiring.chat_deps(), caller(), dataset_id))


@app.route("/chats", methods=["GET"], authorizer=users)
def list_chats_route() -> Response:
    return json_response(200, wiring.chat_deps().chats.chats(caller(), app.query))


@app.route("/chats/{chat_id}/messages", methods=["POST"], authorizer=users)
def ask_route(chat_id: str) -> Response:
    question = parse_body(MessageRequest, app.request.raw_body).question
    return json_response(
        200, ask(wiring.chat_deps(app.lambda_context), caller(), chat_id, question)
    )


@app.route("/chats/{chat_id}/messages", methods=["GET"], authorizer=users)
def history_route(chat_id: str) -> Response:
    chats, who = wiring.chat_deps().chats, caller()
    chats.chat(who, chat_id)
    return json_response(200, chats.messages(who, chat_id, app.query))


@app.route("/preferences", methods=["GET"], authorizer=users)
def get_preferences_route() -> Response:
    return json_response(200, wiring.preferences().get(caller()).model_dump())


@app.route("/preferences", methods=["PUT"], authorizer=users)
def put_preferences_route() -> Response:
    chosen = parse_body(Preferences, app.request.raw_body)
    return json_response(200, wiring.preferences().put(caller(), chosen).model_dump())


@app.on_sqs_message(queue=names.UPLOAD_EVENTS_QUEUE, batch_size=10)
def process_uploads(event: SQSEvent) -> dict[str, Any]:
    return handle_batch(event.to_dict(), event.context, wiring.processing_deps())


@app.on_dynamodb_record(stream_arn=DATASETS_STREAM, batch_size=100, starting_position="LATEST")
def track_usage_records(event: DynamoDBEvent) -> dict[str, Any]:
    records = event.to_dict()["Records"]
    return track_usage(records, wiring.counted_datasets(), wiring.usage_table(), wiring.now())
