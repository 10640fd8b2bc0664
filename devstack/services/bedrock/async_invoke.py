"""The local Bedrock's asynchronous invocations: ``StartAsyncInvoke``, ``GetAsyncInvoke`` and
``ListAsyncInvokes`` of Bedrock Runtime (moto has none), answered on the local AWS endpoint
in its wire format, for text-to-video models.

A job makes a real, playable MP4 (H.264, 24 fps, silent, a moving pattern tinted by the
prompt) of the requested duration and shape and writes it where Bedrock does:
``<s3Uri>/<invocation id>/output.mp4``. Its status is ``InProgress`` until the file is
written, then ``Completed``; ``Failed`` with a ``failureMessage`` when the output cannot be
written. The request body is checked as Luma Ray2 (``luma.ray-v2:0``, Bedrock's active
text-to-video model) checks it: ``prompt`` (1-5000 characters), ``aspect_ratio``, ``duration``
``5s | 9s``, ``resolution`` ``540p | 720p``; another model id is refused as Bedrock refuses
an unknown one. The same ``clientRequestToken`` gives back the same invocation.

Test aid, documented so tests can exercise a pipeline's error paths: a prompt containing
:data:`FAIL_MARKER` makes its job end ``Failed``; one containing :data:`FAIL_ONCE_MARKER`
fails the first job with that exact prompt and succeeds afterwards (a retry works).
"""

from __future__ import annotations

import re
import tempfile
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.media import make_clip
from devstack.rest_service import (
    Answer,
    Caller,
    LocalClients,
    RestServiceFront,
    ServiceError,
    split_s3_uri,
    validation_error,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

FAIL_MARKER = "[local:fail]"
FAIL_ONCE_MARKER = "[local:fail-once]"
MAX_PROMPT_CHARACTERS = 5000
_LUMA = re.compile(r"(^|[.:/])luma\.ray-v2:0$")
_ASPECTS = {"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"}
_DURATIONS = {"5s": 5, "9s": 9}
_RESOLUTIONS = {"540p": 540, "720p": 720}


def frame_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """``(width, height)``: the resolution is the short side, the other follows the ratio
    (rounded to even, as H.264's 4:2:0 needs)."""
    short = _RESOLUTIONS[resolution]
    across, down = (int(part) for part in aspect_ratio.split(":"))
    long = round(short * max(across, down) / min(across, down) / 2) * 2
    return (long, short) if across >= down else (short, long)


def luma_request(model_input: Any) -> tuple[str, int, int, int]:
    """``(prompt, seconds, width, height)`` of a Luma Ray2 body, or its ValidationException."""
    if not isinstance(model_input, dict):
        raise validation_error("modelInput must be a JSON object")
    prompt = model_input.get("prompt")
    if not isinstance(prompt, str) or not 1 <= len(prompt) <= MAX_PROMPT_CHARACTERS:
        raise validation_error(f"prompt must be 1 to {MAX_PROMPT_CHARACTERS} characters")
    aspect = model_input.get("aspect_ratio", "16:9")
    duration = model_input.get("duration", "5s")
    resolution = model_input.get("resolution", "720p")
    if aspect not in _ASPECTS:
        raise validation_error(f"aspect_ratio must be one of {sorted(_ASPECTS)}")
    if duration not in _DURATIONS:
        raise validation_error(f"duration must be one of {sorted(_DURATIONS)}")
    if resolution not in _RESOLUTIONS:
        raise validation_error(f"resolution must be one of {sorted(_RESOLUTIONS)}")
    return (prompt, _DURATIONS[duration], *frame_size(aspect, resolution))


def _now() -> str:
    return datetime.now(UTC).isoformat()


class LocalAsyncInvokes:
    """The handlers of Bedrock Runtime's async invocation operations."""

    def __init__(self, clients: LocalClients) -> None:
        self.clients = clients
        self.invocations: dict[str, dict[str, Any]] = {}
        self._failed_once: set[str] = set()
        self._lock = threading.Lock()

    def start(self, members: dict[str, Any], caller: Caller) -> Answer:
        model = str(members.get("modelId", ""))
        if not _LUMA.search(model):
            raise validation_error("The provided model identifier is invalid.")
        prompt, seconds, width, height = luma_request(members.get("modelInput"))
        output = members.get("outputDataConfig", {}).get("s3OutputDataConfig", {})
        bucket, prefix = split_s3_uri(str(output.get("s3Uri", "")))
        token = str(members.get("clientRequestToken") or uuid.uuid4())
        with self._lock:
            for invocation in self.invocations.values():
                if invocation["clientRequestToken"] == token:
                    return Answer({"invocationArn": invocation["invocationArn"]})
            invocation_id = uuid.uuid4().hex[:12]
            arn = f"arn:aws:bedrock:{caller.region}:{caller.account}:async-invoke/{invocation_id}"
            now = _now()
            invocation = {
                "invocationArn": arn,
                "modelArn": f"arn:aws:bedrock:{caller.region}::foundation-model/{model}",
                "clientRequestToken": token,
                "status": "InProgress",
                "submitTime": now,
                "lastModifiedTime": now,
                "outputDataConfig": {"s3OutputDataConfig": output},
            }
            self.invocations[arn] = invocation
        key = "/".join(part for part in (prefix.strip("/"), invocation_id, "output.mp4") if part)
        job = (invocation, prompt, seconds, width, height, bucket, key, caller)
        threading.Thread(target=self._run, args=job, daemon=True).start()
        return Answer({"invocationArn": arn})

    def _run(
        self,
        invocation: dict[str, Any],
        prompt: str,
        seconds: int,
        width: int,
        height: int,
        bucket: str,
        key: str,
        caller: Caller,
    ) -> None:
        try:
            self._fail_on_demand(prompt)
            with tempfile.TemporaryDirectory(prefix="local-bedrock-") as work:
                clip = Path(work) / "output.mp4"
                make_clip(prompt, seconds, width, height, clip)
                self.clients.get("s3", caller).put_object(
                    Bucket=bucket, Key=key, Body=clip.read_bytes(), ContentType="video/mp4"
                )
        except Exception as err:  # the job's failure, told as Bedrock tells it
            self._finish(invocation, "Failed", failureMessage=str(err))
        else:
            self._finish(invocation, "Completed")

    def _fail_on_demand(self, prompt: str) -> None:
        """The test aid of the module's docstring."""
        if FAIL_MARKER in prompt:
            raise RuntimeError(f"The job failed on demand ({FAIL_MARKER} in the prompt)")
        if FAIL_ONCE_MARKER in prompt:
            with self._lock:
                first = prompt not in self._failed_once
                self._failed_once.add(prompt)
            if first:
                raise RuntimeError(f"The job failed on demand ({FAIL_ONCE_MARKER}, first try)")

    def _finish(self, invocation: dict[str, Any], status: str, **extra: str) -> None:
        with self._lock:
            now = _now()
            invocation.update(status=status, lastModifiedTime=now, endTime=now, **extra)

    def get(self, members: dict[str, Any], caller: Caller) -> Answer:
        with self._lock:
            invocation = self.invocations.get(str(members.get("invocationArn")))
            found = dict(invocation) if invocation else None
        if found is None:
            raise ServiceError(404, "ResourceNotFoundException", "The invocation was not found")
        return Answer(found)

    def list(self, members: dict[str, Any], caller: Caller) -> Answer:
        with self._lock:
            found = [dict(i) for i in self.invocations.values()]
        if members.get("statusEquals"):
            found = [i for i in found if i["status"] == members["statusEquals"]]
        after, before = members.get("submitTimeAfter"), members.get("submitTimeBefore")
        if after:
            found = [i for i in found if _at(i["submitTime"]) > _at(after)]
        if before:
            found = [i for i in found if _at(i["submitTime"]) < _at(before)]
        found.sort(key=lambda i: i["submitTime"], reverse=members.get("sortOrder") != "Ascending")
        start, size = int(members.get("nextToken") or 0), int(members.get("maxResults") or 1000)
        answer: dict[str, Any] = {"asyncInvokeSummaries": found[start : start + size]}
        if start + size < len(found):
            answer["nextToken"] = str(start + size)
        return Answer(answer)


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def bedrock_async_front(aws: WSGIApplication, clients: LocalClients) -> RestServiceFront:
    """The local async invocations in front of ``aws`` (Converse goes on to ``bedrock.py``)."""
    invokes = LocalAsyncInvokes(clients)
    handlers = {
        "StartAsyncInvoke": invokes.start,
        "GetAsyncInvoke": invokes.get,
        "ListAsyncInvokes": invokes.list,
    }
    return RestServiceFront(aws, "bedrock-runtime", "bedrock", handlers)
