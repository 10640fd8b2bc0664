"""The registry from Pulumi type tokens to local types: what the mocks do with a type it
knows, a type it does not, and a token two services claim."""

from __future__ import annotations

import re

import boto3
import pytest

from devstack.mocks import MotoMocks, OfflineMocks
from devstack.pulumi_mocks import MockResourceArgs
from devstack.services.base import LocalType
from devstack.services.registry import REGISTRY, DuplicateTypeError, merged
from tests.conftest import REGION

UNKNOWN = "aws:ec2/securityGroup:SecurityGroup"
OTHER_UNKNOWN = "aws:ec2/vpc:Vpc"


def declared(token: str, name: str, custom: bool = True) -> MockResourceArgs:
    return MockResourceArgs(token, name, {"description": "x"}, custom=custom)


def moto_mocks() -> MotoMocks:
    # No call reaches AWS: an unknown type, or one with no creator, is never created.
    return MotoMocks(REGION, boto3.session.Session(region_name=REGION))


def test_an_unknown_aws_type_gets_an_arn_from_its_service_and_name_and_one_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    mocks = moto_mocks()

    first_id, first = mocks.create(declared(UNKNOWN, "web"))
    mocks.create(declared(UNKNOWN, "db"))
    mocks.create(declared(OTHER_UNKNOWN, "main"))

    assert first_id == "web"
    assert re.fullmatch(rf"arn:aws:ec2:{REGION}:\d{{12}}:security-group/web", first["arn"])
    assert first["description"] == "x"
    notes = capsys.readouterr().err.splitlines()
    assert notes == [
        f"no local emulation for {UNKNOWN} web: made-up outputs",
        f"no local emulation for {OTHER_UNKNOWN} main: made-up outputs",
    ]


def test_offline_an_unknown_type_gets_the_same_outputs_silently(
    capsys: pytest.CaptureFixture[str],
) -> None:
    offline = OfflineMocks(REGION).create(declared(UNKNOWN, "web"))

    assert offline == moto_mocks().create(declared(UNKNOWN, "web"))
    assert capsys.readouterr().err.count("no local emulation") == 1  # the local stack's only


def test_a_component_is_no_aws_type_and_gets_no_arn_nor_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    component_id, outputs = moto_mocks().create(declared("fleet:x:Thing", "thing", custom=False))

    assert component_id.startswith("thing-")
    assert "arn" not in outputs
    assert capsys.readouterr().err == ""


def test_a_registered_type_with_no_creator_gets_its_offline_outputs_in_moto() -> None:
    token = "aws:lambda/function:Function"
    assert REGISTRY[token].create is None
    function = declared(token, "handler")

    created = moto_mocks().create(function)

    assert created == OfflineMocks(REGION).create(function)
    assert created[1]["arn"].endswith(":function:handler")


def test_a_token_two_services_claim_is_refused_by_name() -> None:
    with pytest.raises(DuplicateTypeError, match=re.escape(UNKNOWN)):
        merged([{UNKNOWN: LocalType()}, {OTHER_UNKNOWN: LocalType(), UNKNOWN: LocalType()}])
    assert merged([{UNKNOWN: LocalType()}, {OTHER_UNKNOWN: LocalType()}]).keys() == {
        UNKNOWN,
        OTHER_UNKNOWN,
    }
