"""The local AWS endpoint with the media services, served in-process over moto, and what
the media tests read back: ffmpeg's facts about a file, its loudness, polling."""

from __future__ import annotations

import re
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import boto3
import imageio_ffmpeg
import requests
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from devstack.media import MediaFacts, probe
from devstack.media_services import with_media_services
from tests.conftest import REGION

T = TypeVar("T")
_MEAN_VOLUME = re.compile(r"mean_volume: (-?[\d.]+|-inf) dB")
_SILENCE_START = re.compile(r"silence_start: (-?[\d.]+)")


@contextmanager
def media_endpoint() -> Iterator[str]:
    """The same chain the stack serves (``with_media_services``) over moto, on loopback;
    moto's process-wide state is reset when it stops, as ``LocalAwsServer`` does."""
    moto = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, moto, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    server.app = with_media_services(moto, url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
        server.shutdown()
        thread.join()


def client(service: str, endpoint: str) -> Any:
    session: Any = boto3.session.Session()
    return session.client(service, endpoint_url=endpoint, region_name=REGION)


def new_bucket(endpoint: str, prefix: str) -> str:
    """A fresh bucket of a unique name in the endpoint's region."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client("s3", endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


def facts_of(data: bytes, where: Path, name: str) -> MediaFacts:
    """What ffmpeg reads in ``data`` (written to ``where/name``)."""
    path = where / name
    path.write_bytes(data)
    return probe(path)


def _audio_report(data: bytes, where: Path, name: str, audio_filter: str) -> str:
    """What ffmpeg's audio filter ``audio_filter`` prints about ``data``'s audio."""
    path = where / name
    path.write_bytes(data)
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]
    command += ["-vn", "-af", audio_filter, "-f", "null", "-"]
    report = subprocess.run(command, capture_output=True, check=True, timeout=120).stderr
    return report.decode(errors="replace")


def silence_starts(data: bytes, where: Path, name: str) -> list[float]:
    """Where each stretch of silence (below -50 dB for 0.3 s or more) begins, in seconds."""
    report = _audio_report(data, where, name, "silencedetect=noise=-50dB:d=0.3")
    return [float(start) for start in _SILENCE_START.findall(report)]


def mean_volume(data: bytes, where: Path, name: str) -> float:
    """The audio's mean volume in dB (about -91 for digital silence)."""
    found = _MEAN_VOLUME.search(_audio_report(data, where, name, "volumedetect"))
    assert found is not None, f"ffmpeg measured no volume in {name}"
    return float(found.group(1)) if found.group(1) != "-inf" else -200.0


def wait_for(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 120.0) -> T:
    """``read()`` again every 0.2 s until ``done`` holds for it; its last value."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value):
        assert time.monotonic() < deadline, f"still not done after {timeout} s: {value}"
        time.sleep(0.2)
        value = read()
    return value
