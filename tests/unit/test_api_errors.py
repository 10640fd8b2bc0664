"""The one error mapper (shared/api.py): every error type to its status, code, body and
Retry-After, through a throwaway ``ApiApp`` and Chalice's test client (no AWS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.app import BadRequestError, Blueprint, ChaliceViewError, Response
from chalice.test import Client

from shared.api import DEFAULT_RETRY_AFTER_SECONDS, ApiApp, ApiBlueprint
from shared.errors import (
    ApiError,
    ConfigurationError,
    FieldProblem,
    InvalidQueryError,
    ParameterProblem,
    TransientError,
)
from shared.http import json_response
from shared.observability import logger

SECRET = "arn:aws:dynamodb:eu-north-1:123456789012:table/conversations-prod"


class ThrottledError(ApiError):
    status = 429
    error_code = "THROTTLED"


class GoneError(ApiError):
    status = 404
    error_code = "GONE"


RAISED: dict[str, Exception] = {
    "bare-api-error": ApiError("two fields are bad", "req-1"),
    "field-problems": ApiError(
        "bad body",
        "req-2",
        problems=[FieldProblem("a.b", "required"), FieldProblem("c", "too long")],
    ),
    "parameter-problems": InvalidQueryError([ParameterProblem("sort", "unknown parameter")]),
    "not-found": GoneError("no such thing"),
    "throttled": ThrottledError("slow down"),
    "throttled-30s": ThrottledError("slow down", retry_after=30),
    "transient": TransientError(f"GetItem on {SECRET} failed: ThrottlingException"),
    "configuration": ConfigurationError(f"environment variable TABLE={SECRET} is not set"),
    "unexpected": KeyError(SECRET),
    "chalice-view-error": BadRequestError("Error Parsing JSON"),
    "chalice-500": ChaliceViewError(SECRET),
}

EXPECTED: dict[str, tuple[int, dict[str, Any], str | None]] = {
    "bare-api-error": (
        500,
        {
            "status": "error",
            "error_code": "INTERNAL_ERROR",
            "message": "two fields are bad",
            "request_id": "req-1",
        },
        None,
    ),
    "field-problems": (
        500,
        {
            "status": "error",
            "error_code": "INTERNAL_ERROR",
            "message": "bad body",
            "request_id": "req-2",
            "errors": [
                {"field": "a.b", "reason": "required"},
                {"field": "c", "reason": "too long"},
            ],
        },
        None,
    ),
    "parameter-problems": (
        400,
        {
            "status": "error",
            "error_code": "INVALID_QUERY",
            "message": "invalid query: sort: unknown parameter",
            "request_id": None,
            "errors": [{"parameter": "sort", "reason": "unknown parameter"}],
        },
        None,
    ),
    "not-found": (
        404,
        {"status": "error", "error_code": "GONE", "message": "no such thing", "request_id": None},
        None,
    ),
    "throttled": (
        429,
        {"status": "error", "error_code": "THROTTLED", "message": "slow down", "request_id": None},
        str(DEFAULT_RETRY_AFTER_SECONDS),
    ),
    "throttled-30s": (
        429,
        {"status": "error", "error_code": "THROTTLED", "message": "slow down", "request_id": None},
        "30",
    ),
    "transient": (
        503,
        {
            "status": "error",
            "error_code": "SERVICE_UNAVAILABLE",
            "message": "a service this API depends on is unavailable; try again later",
            "request_id": None,
        },
        str(DEFAULT_RETRY_AFTER_SECONDS),
    ),
    "configuration": (
        500,
        {
            "status": "error",
            "error_code": "INTERNAL_ERROR",
            "message": "an internal error occurred; it has been logged",
            "request_id": None,
        },
        None,
    ),
    "unexpected": (
        500,
        {
            "status": "error",
            "error_code": "INTERNAL_ERROR",
            "message": "an internal error occurred; it has been logged",
            "request_id": None,
        },
        None,
    ),
    "chalice-500": (
        500,
        {
            "status": "error",
            "error_code": "INTERNAL_ERROR",
            "message": "an internal error occurred; it has been logged",
            "request_id": None,
        },
        None,
    ),
    "chalice-view-error": (
        400,
        {
            "status": "error",
            "error_code": "BAD_REQUEST",
            "message": "Error Parsing JSON",
            "request_id": None,
        },
        None,
    ),
}


def build_app() -> ApiApp:
    app = ApiApp("mapper-test", logger("mapper-test"))

    @app.route("/raise/{case}", methods=["GET"])
    def raising(case: str) -> Response:
        raise RAISED[case]

    @app.route("/ok", methods=["POST"], content_types=["application/json"])
    def ok() -> Response:
        return json_response(200, {"status": "success", "query": app.query})

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with Client(build_app()) as test_client:
        yield test_client


@pytest.mark.parametrize("case", RAISED, ids=list(RAISED))
def test_each_error_type_gets_its_status_code_body_and_retry_after(
    client: Client, case: str
) -> None:
    status, body, retry_after = EXPECTED[case]

    response = client.http.get(f"/raise/{case}")

    assert response.status_code == status
    assert json.loads(response.body) == body
    assert response.headers.get("Retry-After") == retry_after
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("case", ["transient", "configuration", "unexpected", "chalice-500"])
def test_a_5xx_never_tells_its_cause_but_logs_it_with_the_traceback(
    client: Client, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.http.get(f"/raise/{case}")

    assert SECRET not in response.body.decode()
    assert "Traceback" not in response.body.decode()
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    (failure,) = [line for line in logged if line.get("message") == "request failed"]
    assert failure["level"] == "ERROR"
    assert SECRET in failure["exception"]
    assert "Traceback" in failure["exception"]


def test_a_refusal_is_logged_as_one_info_line_without_a_traceback(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    client.http.get("/raise/not-found")

    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    (refusal,) = [line for line in logged if line.get("message") == "request refused"]
    assert refusal["level"] == "INFO"
    assert refusal["error_code"] == "GONE"
    assert "exception" not in refusal


def test_a_content_type_the_route_does_not_take_is_a_shaped_415(client: Client) -> None:
    response = client.http.post("/ok", headers={"Content-Type": "text/plain"}, body=b"hi")

    assert response.status_code == 415
    assert json.loads(response.body) == {
        "status": "error",
        "error_code": "UNSUPPORTED_MEDIA_TYPE",
        "message": "Unsupported media type: text/plain",
        "request_id": None,
    }


def test_a_method_the_route_does_not_take_is_a_shaped_405_with_allow(client: Client) -> None:
    response = client.http.get("/ok")

    assert response.status_code == 405
    body = json.loads(response.body)
    assert body["error_code"] == "METHOD_NOT_ALLOWED"
    assert body["status"] == "error"
    assert response.headers["Allow"] == "POST"


def test_a_success_passes_through_untouched(client: Client) -> None:
    response = client.http.post(
        "/ok?a=1&a=2", headers={"Content-Type": "application/json"}, body=b"{}"
    )

    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "success", "query": {"a": "2"}}


def test_chalices_own_500_is_replaced_without_its_text() -> None:
    """A header with a newline makes Chalice refuse the response after the view returned."""
    app = build_app()

    @app.route("/bad-header", methods=["GET"])
    def bad_header() -> Response:
        return Response(body={}, status_code=200, headers={"X-Bad": f"a\n{SECRET}"})

    with Client(app) as local:
        response = local.http.get("/bad-header")

    assert response.status_code == 500
    assert json.loads(response.body)["error_code"] == "INTERNAL_ERROR"
    assert SECRET not in response.body.decode()


def test_a_blueprints_route_answers_errors_in_the_shared_shape_too() -> None:
    app = ApiApp("blueprint-test", logger("blueprint-test"))
    parts = ApiBlueprint(__name__, logger("blueprint-test"))

    @parts.route("/parts/{case}", methods=["GET"])
    def raising(case: str) -> Response:
        raise RAISED[case]

    app.register_blueprint(parts, url_prefix="/v1")
    with Client(app) as test_client:
        response = test_client.http.get("/v1/parts/transient")

    assert response.status_code == 503
    assert json.loads(response.body)["error_code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"] == str(DEFAULT_RETRY_AFTER_SECONDS)


def test_a_plain_chalice_blueprint_is_refused_for_its_routes_would_skip_the_mapper() -> None:
    app = ApiApp("blueprint-test", logger("blueprint-test"))
    plain = Blueprint(__name__)

    @plain.route("/plain", methods=["GET"])
    def view() -> Response:
        raise RuntimeError("would be Chalice's own 500")

    with pytest.raises(TypeError, match="ApiBlueprint"):
        app.register_blueprint(plain)
    assert "/plain" not in app.routes
