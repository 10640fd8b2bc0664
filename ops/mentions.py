"""mentions operator commands.

    python -m ops.mentions [--stack S] [--local] backfill --project P --from D1 --to D2
    python -m ops.mentions [--stack S] [--local] cleanup --source SRC --before D [--yes]

``backfill`` copies a past range chunk by chunk with a progress bar; run the same command
again after a failure or Ctrl-C and it resumes after the last finished chunk. ``cleanup``
deletes a source's mentions older than a date (a dry run unless ``--yes``). See
docs/runbooks/mentions.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from datetime import datetime

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from chalicelib.mentions import env, names
from chalicelib.mentions.backfill import plan_backfill, run_backfill
from chalicelib.mentions.client import DEFAULT_BASE_URL, MentionMindClient
from chalicelib.mentions.credentials import mentionmind_api_key
from chalicelib.mentions.ingestion import Tally
from chalicelib.mentions.repository import MentionRepository
from chalicelib.mentions.state import IngesterState
from infra.settings import available_stacks
from infra.systems.mentions.settings import MentionsSettings
from ops.target import Target, select
from shared import aws
from shared.errors import FleetError
from shared.names import physical
from shared.observability import logger
from shared.timestamps import utc_iso

console = Console(stderr=True)


def moment(value: str) -> datetime:
    """``2026-11-01`` or ``2026-11-01T12:00:00+01:00``; a date without a zone is UTC."""
    try:
        return datetime.fromisoformat(utc_iso(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date: {value!r}") from None


def backfill(target: Target, args: argparse.Namespace) -> int:
    dynamodb = aws.dynamodb()
    state = IngesterState(
        dynamodb.Table(physical(names.MENTIONS_INGESTER_STATE_TABLE.base_name, target.stack))
    )
    repository = MentionRepository(
        dynamodb.Table(physical(names.MENTIONS_TABLE.base_name, target.stack)),
        retention_days=target.settings("mentions", MentionsSettings).retention_days,
    )
    api_key = mentionmind_api_key(
        SecretsProvider(boto3_client=aws.secretsmanager()),
        physical(names.MENTIONMIND_SECRET, target.stack),
        max_age=0,
    )
    base_url = (
        target.fakes.get("mentionmind")
        or os.environ.get(env.MENTIONMIND_BASE_URL)
        or DEFAULT_BASE_URL
    )
    plan = plan_backfill(args.project, args.start, args.end, args.chunk_hours, state)
    if plan.done:
        console.print(f"resuming: {plan.done} of {len(plan.chunks)} chunks were done before")
    totals = Tally()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(
            f"backfill {args.project}",
            total=len(plan.chunks),
            completed=plan.done,
            counts="",
        )

        def on_chunk(_chunk: object, tally: Tally) -> None:
            totals.add(tally)
            progress.update(
                task,
                advance=1,
                counts=f"stored {totals.stored}, invalid {totals.invalid}",
            )

        run_backfill(
            args.project,
            plan,
            MentionMindClient(api_key, base_url=base_url),
            repository,
            state,
            owner=f"backfill-{socket.gethostname()}-{os.getpid()}",
            log=logger("mentions-backfill"),
            on_chunk=on_chunk,
        )
    console.print(
        f"backfill done: {len(plan.chunks) - plan.done} chunks, fetched {totals.fetched}, "
        f"stored {totals.stored}, invalid {totals.invalid}"
    )
    return 0


def cleanup(target: Target, args: argparse.Namespace) -> int:
    repository = MentionRepository(
        aws.dynamodb().Table(physical(names.MENTIONS_TABLE.base_name, target.stack)),
        retention_days=None,
    )
    before = utc_iso(args.before.isoformat())
    keys = list(repository.keys_before(args.source, before))
    if not args.yes:
        console.print(
            f"dry run: {len(keys)} mentions of {args.source!r} before {before} would be deleted; "
            "add --yes to delete them"
        )
        return 0
    with Progress(
        TextColumn("[bold]delete"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("delete", total=len(keys))
        deleted = 0
        for start in range(0, len(keys), 100):
            deleted += repository.delete_many(keys[start : start + 100])
            progress.update(task, completed=deleted)
    console.print(f"cleanup done: deleted {deleted} mentions of {args.source!r} before {before}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m ops.mentions", description=__doc__.splitlines()[0]
    )
    root.add_argument("--stack", default="dev", choices=available_stacks())
    root.add_argument("--local", action="store_true", help="the running local stack (make dev)")
    commands = root.add_subparsers(dest="command", required=True)
    fill = commands.add_parser("backfill", help="copy a past date range, resumable")
    fill.add_argument("--project", required=True, help="MentionMind project id")
    fill.add_argument("--from", dest="start", type=moment, required=True)
    fill.add_argument("--to", dest="end", type=moment, required=True)
    fill.add_argument("--chunk-hours", type=int, default=24)
    fill.set_defaults(run=backfill)
    clean = commands.add_parser("cleanup", help="delete a source's mentions before a date")
    clean.add_argument("--source", required=True)
    clean.add_argument("--before", type=moment, required=True)
    clean.add_argument("--yes", action="store_true", help="delete (default: a dry run)")
    clean.set_defaults(run=cleanup)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    target = select(args.stack, args.local)
    try:
        return int(args.run(target, args))
    except (FleetError, ValueError) as err:
        console.print(f"[red]{args.command} stopped:[/red] {err}")
        if args.command == "backfill":
            console.print("run the same command again to resume after the last finished chunk")
        return 1


if __name__ == "__main__":
    sys.exit(main())
