"""csvchat from a script, as a signed-in user.

    python -m ops.csvchat [--local | --api URL --client-id ID] [--user U] upload FILE
    python -m ops.csvchat ... datasets
    python -m ops.csvchat ... query DATASET "SELECT ..."

Signs in to the user pool (``USER_PASSWORD_AUTH``; the password from ``--password`` or
``CSVCHAT_PASSWORD``), then speaks the API as the page does: ``upload`` asks for a presigned
upload, sends the file (in parallel parts above the multipart threshold) with a progress
bar, waits for the dataset's table and prints its schema. ``--local`` takes the API, the
pool and the first demo user from the running local stack's ``.local/stack.json``; for a
deployed stack pass the ``csvchat_api_url`` and ``csvchat_user_pool_client_id`` outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from ops.target import LOCAL_STATE

console = Console(stderr=True)
PARALLEL_PARTS = 4
WAIT_SECONDS = 120


class CommandError(Exception):
    """What stopped the command, for the person running it."""


@dataclass(frozen=True)
class Session:
    api: str
    token: str

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(
            method,
            f"{self.api}{path}",
            json=body,
            headers={"Authorization": self.token},
            timeout=60,
        )
        answer = response.json() if response.content else {}
        if response.status_code >= 400:
            raise CommandError(
                f"{response.status_code} {answer.get('error_code')}: {answer.get('message')}"
            )
        return answer


def sign_in(region: str, endpoint: str | None, client_id: str, username: str, password: str) -> str:
    """An ID token for the user (Cognito's password flow)."""
    cognito = boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint)
    try:
        answer = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except cognito.exceptions.NotAuthorizedException as err:
        raise CommandError("sign-in refused: wrong user name or password") from err
    if "AuthenticationResult" not in answer:
        raise CommandError(
            f"sign-in needs a step this command does not do: {answer.get('ChallengeName')}"
        )
    return str(answer["AuthenticationResult"]["IdToken"])


def _send_parts(
    path: Path, upload: dict[str, Any], progress: Progress, task: Any
) -> list[dict[str, Any]]:
    size = upload["part_size"]

    def send(part: dict[str, Any]) -> dict[str, Any]:
        with path.open("rb") as file:
            file.seek((part["part_number"] - 1) * size)
            data = file.read(size)
        response = requests.put(part["url"], data=data, timeout=300)
        if response.status_code != 200:
            raise CommandError(f"part {part['part_number']} was refused: {response.status_code}")
        progress.advance(task, len(data))
        return {"part_number": part["part_number"], "etag": response.headers["ETag"]}

    with ThreadPoolExecutor(PARALLEL_PARTS) as pool:
        return list(pool.map(send, upload["parts"]))


def send_file(session: Session, path: Path, content_type: str) -> str:
    """Upload ``path`` through the presigned request the API returns; the dataset's id."""
    size = path.stat().st_size
    created = session.call(
        "POST", "/uploads", {"filename": path.name, "size": size, "content_type": content_type}
    )
    upload = created["upload"]
    with Progress(
        TextColumn(f"[bold]{path.name}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("upload", total=size)
        if upload["method"] == "POST":
            with path.open("rb") as file:
                response = requests.post(
                    upload["url"],
                    data=upload["fields"],
                    files={"file": (path.name, file)},
                    timeout=600,
                )
            if response.status_code not in (200, 201, 204):
                raise CommandError(
                    f"the upload was refused: {response.status_code} {response.text[:200]}"
                )
            progress.update(task, completed=size)
        else:
            parts = _send_parts(path, upload, progress, task)
            session.call("POST", f"/uploads/{created['dataset_id']}/complete", {"parts": parts})
    return str(created["dataset_id"])


def wait_ready(session: Session, dataset_id: str, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
    """The dataset once it is ``ready`` or ``failed``."""
    deadline = time.monotonic() + timeout
    with console.status("waiting for the table"):
        while time.monotonic() < deadline:
            dataset: dict[str, Any] = session.call("GET", f"/datasets/{dataset_id}")
            if dataset["status"] in ("ready", "failed"):
                return dataset
            time.sleep(0.2)
    raise CommandError(f"dataset {dataset_id} was not ready after {timeout:g} s")


def print_schema(dataset: dict[str, Any]) -> None:
    table = Table(
        title=f"{dataset['filename']}: table {dataset['table']}, "
        f"about {dataset['row_estimate']:,} rows"
    )
    for heading in ("column", "type", "in the file"):
        table.add_column(heading)
    for column in dataset["columns"]:
        table.add_row(column["name"], column["type"], column["source_name"])
    Console().print(table)


def upload(session: Session, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    content_type = "text/tab-separated-values" if path.suffix.lower() == ".tsv" else "text/csv"
    started = time.monotonic()
    dataset_id = send_file(session, path, content_type)
    dataset = wait_ready(session, dataset_id)
    if dataset["status"] == "failed":
        raise CommandError(f"dataset {dataset_id} failed: {dataset['reason']}")
    console.print(f"dataset {dataset_id} ready in {time.monotonic() - started:.1f} s")
    print_schema(dataset)
    return 0


def datasets(session: Session, args: argparse.Namespace) -> int:
    table = Table("dataset", "file", "status", "rows", "table")
    token = None
    while True:
        page = session.call("GET", "/datasets" + (f"?next={token}" if token else ""))
        for item in page["items"]:
            table.add_row(
                item["dataset_id"],
                item["filename"],
                item["status"],
                str(item.get("row_estimate", "")),
                item.get("table", ""),
            )
        token = page.get("next")
        if not token:
            break
    Console().print(table)
    return 0


def query(session: Session, args: argparse.Namespace) -> int:
    answer = session.call("POST", f"/datasets/{args.dataset}/query", {"sql": args.sql})
    table = Table(*(c["name"] for c in answer["columns"]))
    for row in answer["rows"]:
        table.add_row(*("NULL" if v is None else v for v in row))
    Console().print(table)
    truncated = " (truncated)" if answer["truncated"] else ""
    console.print(
        f"{len(answer['rows'])} rows{truncated}, {answer['scanned_bytes']:,} bytes scanned, "
        f"{answer['elapsed_ms']} ms"
    )
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m ops.csvchat", description=__doc__.splitlines()[0]
    )
    root.add_argument("--local", action="store_true", help="the running local stack (make dev)")
    root.add_argument("--state-file", type=Path, default=LOCAL_STATE, help="its stack.json")
    root.add_argument(
        "--api", default=os.environ.get("CSVCHAT_API_URL"), help="the csvchat_api_url output"
    )
    root.add_argument(
        "--client-id",
        default=os.environ.get("CSVCHAT_CLIENT_ID"),
        help="the csvchat_user_pool_client_id output",
    )
    root.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "eu-north-1"))
    root.add_argument("--user", default=os.environ.get("CSVCHAT_USERNAME"))
    root.add_argument("--password", default=os.environ.get("CSVCHAT_PASSWORD"))
    commands = root.add_subparsers(dest="command", required=True)
    send = commands.add_parser("upload", help="upload a CSV file and print its table's schema")
    send.add_argument("file")
    send.set_defaults(run=upload)
    commands.add_parser("datasets", help="list your datasets").set_defaults(run=datasets)
    ask = commands.add_parser("query", help="run SQL over one of your datasets")
    ask.add_argument("dataset")
    ask.add_argument("sql")
    ask.set_defaults(run=query)
    return root


def session_for(args: argparse.Namespace) -> Session:
    """Sign in to the stack the arguments name."""
    state_file: Path = args.state_file
    api, client_id, region, endpoint = args.api, args.client_id, args.region, None
    user, password = args.user, args.password
    if args.local:
        if not state_file.is_file():
            raise CommandError(f"the local stack is not running ({state_file}): run make dev")
        description = json.loads(state_file.read_text())
        api, region = description["apps"]["csvchat"], description["region"]
        client_id, endpoint = (
            description["cognito"]["client_id"],
            description["cognito"]["endpoint"],
        )
        demo = description["demo"]["users"][0]
        user, password = user or demo["username"], password or demo["password"]
        os.environ.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})
    if not (api and client_id and user and password):
        raise CommandError("give --api, --client-id, --user and --password (or --local)")
    return Session(str(api).rstrip("/"), sign_in(region, endpoint, client_id, user, password))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(session_for(args), args))
    except (CommandError, requests.RequestException) as err:
        console.print(f"[red]{args.command} stopped:[/red] {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
