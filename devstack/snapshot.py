"""The local stack's resources kept from one start to the next, as Pulumi keeps its state.

Running the program and creating its ~440 resources in moto is most of a start (14-18 s of
17-21 s with every system on two cores), and it makes the same resources every time the
program and its inputs are unchanged. So a start saves a snapshot right after that phase
(before demo data): the program's declaration (every resource's inputs and outputs, the
stack's outputs) and moto's backends as they are then. The next start made from the same
inputs restores both instead (a third of a second; one service may be put back once the
stack is ready, ``restore_moto(but=...)``); ``--fresh`` runs the program whatever is kept.

The key is a digest of everything the program run reads or that shapes what is created: the
sources under ``infra/``, ``devstack/`` and ``shared/``, each app's ``build/<app>/sam.json``
(its handlers and routes), the Pulumi project and stack files, the lock, the Python
version, the overrides and the systems. A change to any of them is a new key, and the next
start runs the program again. Of the apps' own code the program reads a few modules (their
names, settings and limits): the snapshot lists those the run had imported, with their
digests, and is not used once one of them changes; a change to the rest of an app (what its
functions do) keeps the snapshot. The newest few snapshots are kept, so switching between
branches or ``--systems`` stays fast.

moto keeps no state across processes (its server has no persistence); its backends are
plain Python objects, so they are pickled, with the two kinds of object in them pickle cannot
copy by itself reduced by hand (no library does it for moto's objects): locks (a new, free
one) and private keys (Cognito's signing keys; as PKCS#8 DER). pickle reads only files this
tool wrote under the developer's own ``.local/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from moto.core.base_backend import BackendDict, backend_lock

from devstack import STATE_DIR
from devstack.declaration import Declaration
from infra.registry import ROOT

SNAPSHOT_DIR = STATE_DIR / "snapshots"
KEPT = 8  # snapshots kept (a few hundred kB each): the newest written or used

_SOURCE_TREES = ("infra", "devstack", "shared")
_APPS = ROOT / "chalice_apps"
_SOURCE_SUFFIXES = {".py", ".json", ".yaml", ".yml", ".sql", ".txt", ".lock", ".toml"}
_SKIPPED_PARTS = {"__pycache__", "vendor", "deployments", "deployed", "node_modules"}
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


# (module, BackendDict's backend class name, service name) -> the pickled BackendDict's
# accounts (account id -> region -> backend), each on its own so that a service can be put
# back later than the others. Not keyed on the service's name alone: Step Functions has two
# BackendDicts of that name (moto's plain one, and its interpreter's, which runs executions).
_Backends = dict[tuple[str, str, str], bytes]


def _sources(root: Path) -> Iterator[Path]:
    for tree in _SOURCE_TREES:
        for path in sorted((root / tree).rglob("*")):
            relative = set(path.relative_to(root).parts)
            if path.suffix in _SOURCE_SUFFIXES and not _SKIPPED_PARTS & relative:
                yield path
    yield from sorted((root / "build").glob("*/sam.json"))
    yield from sorted(root.glob("Pulumi*.yaml"))
    yield root / "requirements.lock"


def snapshot_key(
    stack: str, overrides: dict[str, Any], systems: Sequence[str] | None, root: Path = ROOT
) -> str:
    """The digest of every input of the program's run and of the resources' creation."""
    digest = hashlib.sha256()
    arguments = {"stack": stack, "overrides": overrides, "systems": systems}
    digest.update(json.dumps(arguments, sort_keys=True).encode())
    digest.update(sys.version.encode())
    for path in _sources(root):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


class _SnapshotPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCK_TYPES):
            return type(obj), ()
        if isinstance(obj, PrivateKeyTypes):  # type: ignore[arg-type]  # a Union of ABCs
            der = obj.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _private_key, (der,)
        return NotImplemented


def _private_key(der: bytes) -> PrivateKeyTypes:
    # Checking an RSA key costs a tenth of a second; this one was checked when it was made.
    return serialization.load_der_private_key(
        der, password=None, unsafe_skip_rsa_key_validation=True
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _app_modules_read() -> dict[str, str]:
    """Each module of an app this process has imported (the program reads an app's names,
    settings and limits): its path under the root and its digest."""
    read = {}
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).is_relative_to(_APPS) and Path(file).is_file():
            read[str(Path(file).relative_to(ROOT))] = _digest(Path(file))
    return read


def _unchanged(read: dict[str, str], root: Path) -> bool:
    for relative, digest in read.items():
        path = root / relative
        if not path.is_file() or _digest(path) != digest:
            return False
    return True


def _pickled(value: Any) -> bytes:
    buffer = io.BytesIO()
    _SnapshotPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _backends_in_use() -> _Backends:
    with backend_lock:
        return {
            (found.backend.__module__, found.backend.__qualname__, found.service_name): _pickled(
                dict(found)
            )
            for found in BackendDict._instances  # type: ignore[misc]
        }


def _backend_dict(module: str, backend: str) -> BackendDict[Any]:
    """The module-level BackendDict of that backend class: the one moto serves from."""
    namespace = vars(importlib.import_module(module))
    for value in namespace.values():
        if isinstance(value, BackendDict) and value.backend is namespace[backend]:
            return value
    raise LookupError(f"no BackendDict of {module}.{backend}")


def save(directory: Path, key: str, declared: Declaration) -> None:
    """Keep the declaration and moto's state under ``key``: written whole or not at all
    (stacks side by side may save the same key; the last one's file wins, whole).

    The file is three pickles: the app modules the run read (with their digests), the
    declaration, then moto's state. A start reads the first two, and starts what needs
    only the declaration before it loads moto's state (which imports moto's models).
    """
    declaration = Declaration(declared.region)  # the mocks' plain part
    declaration.resources = list(declared.resources)
    declaration.protect_flags = dict(declared.protect_flags)
    declaration.stack_outputs = dict(declared.stack_outputs)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".part", delete=False) as written:
        written.write(
            _pickled(_app_modules_read()) + _pickled(declaration) + _pickled(_backends_in_use())
        )
    os.replace(written.name, directory / f"{key}.pickle")
    _prune(directory)


def _prune(directory: Path) -> None:
    ages = {}
    for path in directory.glob("*.pickle"):
        try:
            ages[path] = path.stat().st_mtime
        except FileNotFoundError:  # pruned by a stack alongside
            continue
    for stale in sorted(ages, key=ages.__getitem__, reverse=True)[KEPT:]:
        stale.unlink(missing_ok=True)


class KeptStack:
    """A snapshot found for this start: its declaration at once, moto's state on demand."""

    def __init__(self, path: Path, stream: io.BytesIO, declaration: Declaration) -> None:
        self.path = path
        self._stream = stream
        self._backends: _Backends | None = None  # those not put back yet, once read
        self.declaration = declaration

    def restore_moto(self, but: Collection[str] = ()) -> None:
        """Put moto's backends back as they were when the snapshot was made: each service's
        but those named in ``but`` (a later call, without them, puts those back).

        Raises:
            SnapshotError: moto's part cannot be read (the file is dropped).
        """
        try:
            if self._backends is None:
                self._backends = pickle.load(self._stream)  # only this tool writes it
            for (module, backend, service), pickled in list(self._backends.items()):
                if service in but:
                    continue
                accounts = pickle.loads(pickled)  # only this tool writes it
                with backend_lock:
                    found = _backend_dict(module, backend)
                    found.clear()
                    found.update(accounts)
                    if found not in BackendDict._instances:  # type: ignore[misc]
                        BackendDict._instances.append(found)  # type: ignore[misc]
                del self._backends[(module, backend, service)]
        except Exception as err:
            self.path.unlink(missing_ok=True)
            raise SnapshotError(f"{self.path} is unreadable ({err!r}); start again") from err


class SnapshotError(RuntimeError):
    """A snapshot's moto state could not be read after its declaration was."""


def open_snapshot(directory: Path, key: str, root: Path = ROOT) -> KeptStack | None:
    """The snapshot kept under ``key`` with its declaration read; None when there is none,
    when an app module it read has changed since (the program runs, and replaces it), or
    when it cannot be read (it is dropped, and the program runs)."""
    path = directory / f"{key}.pickle"
    try:
        stream = io.BytesIO(path.read_bytes())
        if not _unchanged(pickle.load(stream), root):  # only this tool writes it
            return None
        declaration = pickle.load(stream)
    except FileNotFoundError:
        return None
    except Exception as err:  # any unreadable snapshot means: run the program
        print(f"snapshot {path.name} unreadable ({err!r}): running the program", file=sys.stderr)
        path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(FileNotFoundError):  # pruned meanwhile by a stack alongside
        os.utime(path)  # used: among the newest, kept
    return KeptStack(path, stream, declaration)
