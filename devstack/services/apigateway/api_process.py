"""An app's API process: ``run`` listens on its port before anything else, then imports the
app and serves it (``gateway.py``). The stack forks it from its fork server, which has
imported ``SHARED_IMPORTS`` already (``devstack/forked.py``);
``python -m devstack.services.apigateway.api_process <app> --port N`` runs one alone.

Importing an app alone takes most of a second of a core (boto3, pydantic, Powertools, the
app's modules), a tenth of one after the fork server's imports. A request that arrives
meanwhile waits in the listening socket's backlog and is answered once the import is done,
as a request waits for a Lambda function's cold start.
"""

from __future__ import annotations

import argparse
import socket

# Connections a starting app keeps waiting (a browser opens six at once, tests more).
BACKLOG = 128

# What every app's API process imports before its app: the fork server imports these once,
# and each API process forked from it imports only its own app (``devstack/forked.py``).
# Libraries only: nothing here may read the environment or open a log as it is imported.
SHARED_IMPORTS = (
    "devstack.services.apigateway.gateway",
    "boto3",
    "botocore.client",
    "pydantic",
    "requests",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
    "aws_lambda_powertools.utilities.typing",
)


def run(app: str, host: str, port: int) -> None:
    """Listen on ``host:port``, then import the app and serve it until interrupted."""
    listener = socket.create_server((host, port), backlog=BACKLOG)
    # The slow import, once the port is taken.
    from devstack.services.apigateway.gateway import serve

    serve(app, listener)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve one app with API-key checks.")
    parser.add_argument("app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    run(args.app, args.host, args.port)


if __name__ == "__main__":
    main()
