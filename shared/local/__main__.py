"""The local runtime's command line: ``python -m shared.local up`` (what ``make dev`` runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from shared.local import stack


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the stack locally until Ctrl-C")
    up.add_argument("--stack", default="dev")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--moto-port", type=int, default=5000)
    up.add_argument("--http-port", type=int, default=8000, help="the first app's port")
    up.add_argument("--state-dir", type=Path, default=stack.STATE_DIR, help="where stack.json goes")
    args = parser.parse_args()
    if args.command == "up":
        stack.run(args.stack, args.host, args.moto_port, args.http_port, args.state_dir)


if __name__ == "__main__":
    main()
