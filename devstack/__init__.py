"""The local runtime: the Pulumi program under mocks, moto, and the apps served on loopback.
Never shipped in a Lambda package."""

from infra.registry import ROOT

# Where the local stack keeps its state: stack.json, logs, the inbox, snapshots.
STATE_DIR = ROOT / ".local"
