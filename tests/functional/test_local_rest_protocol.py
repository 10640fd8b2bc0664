"""Athena keeps working on the local endpoint when botocore speaks REST-JSON to it.

botocore 1.44.18 sends Athena's operations on REST paths (``POST /workgroups``), which moto
5.2.6 does not route. The client here is built from that botocore's own Athena model (the
operations the stack uses, in ``tests/fixtures/athena-rest-json-botocore-1.44.18.json``,
documentation stripped), so the test sends exactly what it sends, whatever botocore the
lock installs.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.model import ServiceModel
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from devstack.rest_protocol import RestRequestReader, RestToTargetFront

REGION = "eu-north-1"
MODEL_FILE = Path(__file__).parent.parent / "fixtures" / "athena-rest-json-botocore-1.44.18.json"


@pytest.fixture(scope="module")
def rest_model() -> ServiceModel:
    return ServiceModel(json.loads(MODEL_FILE.read_text()), service_name="athena")


@pytest.fixture(scope="module")
def endpoint(rest_model: ServiceModel) -> Iterator[str]:
    front = RestToTargetFront(
        DomainDispatcherApplication(create_backend_app), {"athena": (rest_model, "AmazonAthena")}
    )
    server = make_server("127.0.0.1", 0, front, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def rest_athena(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    models = tmp_path_factory.mktemp("models")
    folder = models / "athena" / "2017-05-18"
    folder.mkdir(parents=True)
    shutil.copy(MODEL_FILE, folder / "service-2.json")
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(models))
    client = session.create_client(
        "athena",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert client.meta.service_model.protocol == "rest-json"
    return client


def test_the_rest_form_reads_members_from_path_query_and_body(rest_model: ServiceModel) -> None:
    reader = RestRequestReader(rest_model)

    assert reader.read("GET", "/query-executions/q-1/results", "MaxResults=5&NextToken=t", b"") == (
        "GetQueryResults",
        {"QueryExecutionId": "q-1", "MaxResults": 5, "NextToken": "t"},
    )
    assert reader.read("POST", "/workgroups", "", b'{"Name": "wg"}') == (
        "CreateWorkGroup",
        {"Name": "wg"},
    )
    assert reader.read("DELETE", "/nowhere", "", b"") is None


def test_a_workgroup_is_created_and_read_back_through_rest_paths(rest_athena: Any) -> None:
    rest_athena.create_work_group(
        Name="csvchat-dev",
        Configuration={
            "ResultConfiguration": {"OutputLocation": "s3://csvchat-results-dev/"},
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": 10_000_000,
        },
    )

    group = rest_athena.get_work_group(WorkGroup="csvchat-dev")["WorkGroup"]

    assert group["Name"] == "csvchat-dev"
    assert group["Configuration"]["EnforceWorkGroupConfiguration"] is True
    assert group["Configuration"]["BytesScannedCutoffPerQuery"] == 10_000_000
    names = [g["Name"] for g in rest_athena.list_work_groups()["WorkGroups"]]
    assert "csvchat-dev" in names


def test_an_error_keeps_its_code_through_the_translation(rest_athena: Any) -> None:
    rest_athena.create_work_group(Name="twice")
    with pytest.raises(ClientError) as raised:
        rest_athena.create_work_group(Name="twice")

    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "already exists" in raised.value.response["Error"]["Message"]
