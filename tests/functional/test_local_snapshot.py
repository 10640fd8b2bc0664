"""A start's snapshot (``devstack/snapshot.py``): what the program made in moto, put back in a
moto that holds nothing, as it was; and a key that changes with each input of the program."""

from __future__ import annotations

import importlib
import json
import os
import pickle
from pathlib import Path

import boto3
import pulumi
import pulumi_aws as aws
import pytest
from moto import mock_aws

from devstack import snapshot
from devstack.declaration import Declaration
from devstack.mocks import MotoMocks
from devstack.program import run_pulumi
from infra.registry import ROOT, add_app_paths
from tests.conftest import REGION

DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


def program() -> None:
    key = aws.kms.Key("key", description="the stack's key")
    dlq = aws.sqs.Queue("dlq", name="jobs-dlq-dev")
    aws.sqs.Queue(
        "jobs",
        name="jobs-dev",
        kms_master_key_id=key.id,
        redrive_policy=dlq.arn.apply(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})
        ),
    )
    aws.secretsmanager.Secret("token", name="jobs/token-dev", kms_key_id=key.arn)
    aws.cognito.UserPool("users", name="jobs-users-dev")
    aws.sfn.StateMachine(
        "pipeline",
        name="jobs-pipeline-dev",
        role_arn="arn:aws:iam::123456789012:role/jobs-pipeline-dev",
        definition=json.dumps(DEFINITION),
    )
    pulumi.export("key", key.id)


def made_then_restored(directory: Path) -> tuple[Declaration, Declaration | None]:
    """The program run in one moto, saved; then restored into a new, empty one (left on)."""
    with mock_aws():
        made = run_pulumi(program, "dev", MotoMocks(REGION))
        snapshot.save(directory, "k", made)
    mock = mock_aws()
    mock.start()  # empty: moto resets every backend when a mock starts or stops
    kept = snapshot.open_snapshot(directory, "k")
    if kept is None:
        return made, None
    kept.restore_moto()
    return made, kept.declaration


@pytest.fixture
def restored(tmp_path: Path) -> tuple[Declaration, Declaration]:
    made, restored = made_then_restored(tmp_path)
    assert restored is not None
    yield made, restored
    mock_aws().stop()


def test_the_declaration_comes_back_as_the_program_made_it(
    restored: tuple[Declaration, Declaration],
) -> None:
    made, kept = restored

    assert [(r.type, r.name, r.id, r.outputs, r.inputs) for r in kept.resources] == [
        (r.type, r.name, r.id, r.outputs, r.inputs) for r in made.resources
    ]
    assert kept.stack_outputs == made.stack_outputs
    assert kept.region == REGION


def test_moto_holds_the_same_resources_after_a_restore_and_they_work(
    restored: tuple[Declaration, Declaration],
) -> None:
    made, _ = restored
    sqs = boto3.client("sqs", region_name=REGION)

    url = sqs.get_queue_url(QueueName="jobs-dev")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 3
    sqs.send_message(QueueUrl=url, MessageBody="after the restore")  # its lock is a new one
    received = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["Body"] for m in received] == ["after the restore"]
    secret = made.named("aws:secretsmanager/secret:Secret", "jobs/token-dev")
    described = boto3.client("secretsmanager", region_name=REGION).describe_secret(
        SecretId=secret.outputs["arn"]
    )
    assert described["Name"] == "jobs/token-dev"
    pools = boto3.client("cognito-idp", region_name=REGION).list_user_pools(MaxResults=10)
    assert [p["Name"] for p in pools["UserPools"]] == ["jobs-users-dev"]
    assert signed_in(pools["UserPools"][0]["Id"]).count(".") == 2  # signed with its own key
    machines = boto3.client("stepfunctions", region_name=REGION).list_state_machines()
    assert [m["name"] for m in machines["stateMachines"]] == ["jobs-pipeline-dev"]


def signed_in(pool_id: str) -> str:
    """An ID token for a new user of the pool: signed with the pool's private key."""
    cognito = boto3.client("cognito-idp", region_name=REGION)
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="ana")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="ana", Password="Correct-Horse-9", Permanent=True
    )
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": "Correct-Horse-9"},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def test_no_snapshot_and_an_unreadable_one_mean_running_the_program(tmp_path: Path) -> None:
    assert snapshot.open_snapshot(tmp_path, "absent") is None
    (tmp_path / "torn.pickle").write_bytes(b"\x80\x05not a pickle")

    assert snapshot.open_snapshot(tmp_path, "torn") is None
    assert not (tmp_path / "torn.pickle").exists()


def test_only_the_newest_snapshots_are_kept(tmp_path: Path) -> None:
    mocks = MotoMocks(REGION)
    older = [f"old-{age}" for age in range(snapshot.KEPT)]  # old-0 the newest of them
    for age, key in enumerate(older):
        snapshot.save(tmp_path, key, mocks)
        os.utime(tmp_path / f"{key}.pickle", (1000 - age, 1000 - age))
    snapshot.save(tmp_path, "new", mocks)

    kept = {p.stem for p in tmp_path.glob("*.pickle")}
    assert kept == {"new", *older[:-1]}


def test_a_torn_moto_state_stops_the_start_and_drops_the_file(tmp_path: Path) -> None:
    with mock_aws():
        snapshot.save(tmp_path, "k", run_pulumi(program, "dev", MotoMocks(REGION)))
    path = tmp_path / "k.pickle"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 100])
    kept = snapshot.open_snapshot(tmp_path, "k")
    assert kept is not None  # the declaration comes first, whole

    with pytest.raises(snapshot.SnapshotError, match="unreadable"):
        kept.restore_moto()
    assert not path.exists()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_key_changes_with_every_input_of_the_program_and_nothing_else(
    tmp_path: Path,
) -> None:
    write(tmp_path / "infra" / "program.py", "declare()")
    write(tmp_path / "devstack" / "services" / "sqs" / "resources.py", "TYPES = {}")
    write(tmp_path / "build" / "jobs" / "sam.json", "{}")
    write(tmp_path / "Pulumi.dev.yaml", "config: {}")
    write(tmp_path / "requirements.lock", "moto==5")

    def key(**changed: object) -> str:
        arguments: dict[str, object] = {"stack": "dev", "overrides": {}, "systems": None}
        return snapshot.snapshot_key(**(arguments | changed), root=tmp_path)  # type: ignore[arg-type]

    first = key()
    write(tmp_path / "infra" / "__pycache__" / "program.cpython-311.pyc", "bytes")
    write(tmp_path / "build" / "jobs" / "deployment.zip", "a new zip, same package")
    assert key() == first
    assert key(stack="prod") != first
    assert key(overrides={"serverless-fleet:jobs": {"retention": 3}}) != first
    assert key(systems=("jobs",)) != first
    changes = [
        "infra/program.py",
        "devstack/services/sqs/resources.py",
        "build/jobs/sam.json",
        "Pulumi.dev.yaml",
        "requirements.lock",
    ]
    for changed in changes:
        before = key()
        write(tmp_path / changed, (tmp_path / changed).read_text() + "\n# edited")
        assert key() != before, changed


def test_a_snapshot_is_not_used_once_an_app_module_the_program_read_changes(
    tmp_path: Path,
) -> None:
    """The program reads an app's names (``chalicelib/<app>/names.py``); a change to them is
    a change to what it declares. A change to the rest of the app is not."""
    add_app_paths()
    importlib.import_module("chalicelib.mentions.names")
    with mock_aws():
        snapshot.save(tmp_path / "kept", "k", run_pulumi(program, "dev", MotoMocks(REGION)))
    read = pickle.loads((tmp_path / "kept" / "k.pickle").read_bytes())  # the first part
    names = "chalice_apps/mentions/chalicelib/mentions/names.py"
    assert names in read
    for relative in read:  # a root of our own, with the same app modules
        write(tmp_path / "root" / relative, (ROOT / relative).read_text())
    root = tmp_path / "root"

    write(root / "chalice_apps/mentions/chalicelib/mentions/handlers_new.py", "x = 1")
    assert snapshot.open_snapshot(tmp_path / "kept", "k", root) is not None
    write(root / names, (root / names).read_text() + "\nRENAMED = 'x'\n")
    assert snapshot.open_snapshot(tmp_path / "kept", "k", root) is None
    assert (tmp_path / "kept" / "k.pickle").exists()  # the next run replaces it
