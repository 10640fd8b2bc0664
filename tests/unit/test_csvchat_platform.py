"""The general machinery csvchat brought (no I/O): Cognito authorizers carried from the
Swagger, DynamoDB stream sources read from the package, stack.json entries merged, the
gateway's view of a route's checks."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.outside import RealServices
from devstack.profiles import Profile, SeedContext, stack_entries
from devstack.services.apigateway.gateway import MethodAuth, declared
from devstack.services.awslambda.apps import load_app
from devstack.services.cognito.auth import issuer
from infra.components.chalice_package import _handler
from infra.components.rest_api import _check_protected, _with_integration

POOL = "arn:aws:cognito-idp:eu-north-1:123456789012:userpool/eu-north-1_abc"


def swagger(security: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "info": {"title": "x"},
        "securityDefinitions": {
            "Users": {
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {
                    "type": "cognito_user_pools",
                    "providerARNs": ["placeholder"],
                },
            }
        },
        "paths": {"/things": {"get": {"security": security}}},
    }


def test_a_route_behind_a_cognito_authorizer_with_its_pool_is_protected() -> None:
    _check_protected(swagger([{"Users": []}]), {}, {"Users": POOL})
    resolved = _with_integration(swagger([{"Users": []}]), "arn:invoke", "api", {"Users": POOL})
    assert resolved["securityDefinitions"]["Users"]["x-amazon-apigateway-authorizer"][
        "providerARNs"
    ] == [POOL]


def test_an_authorizer_without_a_pool_or_a_route_with_neither_check_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Cognito authorizers \['Users'\] have no user pool"):
        _check_protected(swagger([{"Users": []}]), {}, {})
    with pytest.raises(
        ValueError, match="GET /things does not require an API key or an identity token"
    ):
        _check_protected(swagger([]), {}, {"Users": POOL})


def test_a_dynamodb_stream_source_names_its_table_by_base_name() -> None:
    handler = _handler(
        "Track",
        {
            "Handler": "app.track",
            "Runtime": "python3.11",
            "MemorySize": 256,
            "Timeout": 30,
            "Events": {
                "S": {
                    "Type": "DynamoDB",
                    "Properties": {
                        "Stream": "arn:aws:dynamodb:::table/csvchat-datasets/stream/placeholder",
                        "BatchSize": 100,
                        "StartingPosition": "LATEST",
                    },
                }
            },
        },
    )
    (source,) = handler.stream_sources
    assert (source.table, source.batch_size, source.starting_position) == (
        "csvchat-datasets",
        100,
        "LATEST",
    )


def test_stack_json_entries_of_every_profile_are_merged_key_by_key() -> None:
    profiles = [
        Profile("a", description={"demo": {"company_id": "c"}}),
        Profile("b", describe=lambda _context: {"demo": {"users": [1]}, "cognito": {"x": 1}}),
    ]
    entries = stack_entries(profiles, SeedContext("dev", RealServices()))
    assert entries == {"demo": {"company_id": "c", "users": [1]}, "cognito": {"x": 1}}


def test_the_issuer_of_a_pool_is_cognitos_url_for_it() -> None:
    assert issuer(POOL) == "https://cognito-idp.eu-north-1.amazonaws.com/eu-north-1_abc"


def test_the_gateway_knows_which_routes_need_which_check() -> None:
    app = load_app("csvchat").app
    assert declared(app, "/datasets/abc", "GET") == MethodAuth(
        api_key=False, authorizer="CsvchatUsers"
    )
    assert declared(app, "/datasets/abc", "PUT") is None
    assert declared(load_app("mentions").app, "/mentions", "GET") == MethodAuth(api_key=True)
