"""An app's API process (``python -m devstack.services.apigateway.api_process <app> --port N``):
it listens on its port before anything else, then imports the app and serves it
(``gateway.py``).

Importing an app takes a second or two of a core (boto3, pydantic, powertools, the app's
modules). A request that arrives meanwhile waits in the listening socket's backlog and is
answered once the import is done, as a request waits for a Lambda function's cold start;
so the stack counts an API as up once it listens, and the imports run while the stack
finishes starting (the workers and the console, which import nothing until used).
"""

from __future__ import annotations

import argparse
import socket

# Connections a starting app keeps waiting (a browser opens six at once, tests more).
BACKLOG = 128


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve one app with API-key checks.")
    parser.add_argument("app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    listener = socket.create_server((args.host, args.port), backlog=BACKLOG)
    # The slow import, once the port is taken.
    from devstack.services.apigateway.gateway import serve

    serve(args.app, listener)


if __name__ == "__main__":
    main()
