"""CORS on the local AWS endpoint answered as S3 and Cognito answer it, whatever moto's
version does with a preflight (5.2.6 answered 500, 5.2.5 allowed everything)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import boto3
import pytest
import requests
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from devstack.cors import CorsFront

REGION = "eu-north-1"
PAGE = "http://127.0.0.1:8003"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    app = CorsFront(DomainDispatcherApplication(create_backend_app), lambda: REGION)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def bucket(endpoint: str) -> str:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    name = f"uploads-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_cors(
        Bucket=name,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [PAGE],
                    "AllowedMethods": ["POST", "PUT"],
                    "AllowedHeaders": ["content-type"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )
    return name


def _preflight(url: str, origin: str, method: str, headers: str = "") -> requests.Response:
    extra = {"Access-Control-Request-Headers": headers} if headers else {}
    return requests.options(
        url,
        headers={"Origin": origin, "Access-Control-Request-Method": method, **extra},
        timeout=10,
    )


def test_a_preflight_the_buckets_rule_admits_is_allowed_for_that_origin(
    endpoint: str, bucket: str
) -> None:
    answer = _preflight(f"{endpoint}/{bucket}/file.csv", PAGE, "PUT", "Content-Type")

    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE
    assert answer.headers["Access-Control-Allow-Methods"] == "POST, PUT"
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert answer.headers["Access-Control-Expose-Headers"] == "ETag"
    assert answer.headers["Access-Control-Max-Age"] == "600"


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("http://evil.example", "PUT", ""),
        (PAGE, "DELETE", ""),
        (PAGE, "PUT", "x-amz-acl"),
    ],
)
def test_a_preflight_no_rule_admits_is_403_as_s3_answers(
    endpoint: str, bucket: str, origin: str, method: str, headers: str
) -> None:
    answer = _preflight(f"{endpoint}/{bucket}/file.csv", origin, method, headers)

    assert answer.status_code == 403
    assert "<Code>AccessForbidden</Code>" in answer.text
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_bucket_without_cors_refuses_every_preflight(endpoint: str) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    name = f"plain-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})

    answer = _preflight(f"{endpoint}/{name}/x", PAGE, "PUT")

    assert answer.status_code == 403
    assert "CORS is not enabled for this bucket" in answer.text


def test_an_admitted_upload_exposes_its_etag_to_the_page(endpoint: str, bucket: str) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "part"}, ExpiresIn=60
    )

    answer = requests.put(url, data=b"a,b\n1,2\n", headers={"Origin": PAGE}, timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE
    assert answer.headers["Access-Control-Expose-Headers"] == "ETag"
    assert s3.get_object(Bucket=bucket, Key="part")["Body"].read() == b"a,b\n1,2\n"


def test_cognitos_preflight_and_answers_allow_any_origin(endpoint: str) -> None:
    preflight = _preflight(f"{endpoint}/", PAGE, "POST", "content-type,x-amz-target")
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type, x-amz-target"

    answer = requests.post(
        f"{endpoint}/",
        headers={
            "Origin": PAGE,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Authorization": (
                "AWS4-HMAC-SHA256 Credential=a/20260101/eu-north-1/cognito-idp/aws4_request, "
                "SignedHeaders=host, Signature=x"
            ),
        },
        data=b'{"MaxResults": 10}',
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-amzn-RequestId" in answer.headers["Access-Control-Expose-Headers"]
