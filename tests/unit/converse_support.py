"""The local Converse called as boto3 calls it, in-process: the answer parsed by Bedrock
Runtime's own model and wire parser, so a test sees what a function would."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import botocore.session
from botocore.awsrequest import HTTPHeaders
from botocore.parsers import create_parser
from werkzeug.test import Client
from werkzeug.wrappers import Response

from devstack.services.bedrock.converse import LocalBedrock, ModelFake


def _not_bedrock(environ: Any, start_response: Any) -> Any:
    return Response("moto", status=404)(environ, start_response)


def converse(
    models: Sequence[ModelFake], request: dict[str, Any], model: str = "local"
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, what boto3 makes of the answer) of ``request`` to the local Converse
    with ``models``."""
    answer = Client(LocalBedrock(_not_bedrock, models)).post(
        f"/model/{model}/converse", json=request
    )
    service = botocore.session.get_session().get_service_model("bedrock-runtime")
    wire = {
        "status_code": answer.status_code,
        "headers": HTTPHeaders.from_pairs(list(answer.headers.items())),
        "body": answer.get_data(),
    }
    shape = service.operation_model("Converse").output_shape
    assert shape is not None  # Converse has an output
    return answer.status_code, create_parser("rest-json").parse(wire, shape)
