"""The local Polly's speech: ``SynthesizeSpeech`` and the speech synthesis tasks, which moto
lacks (its ``/v1/speech`` answers no audio), answered on the local AWS endpoint in Polly's
wire format. Voices and lexicons stay moto's.

The audio is real and playable in the format asked for (mp3, ogg_vorbis or pcm), and as long
as a person would take to read the text (:data:`devstack.media.WORDS_PER_MINUTE`), so what
a pipeline does with durations (fitting clips to the narration) behaves as in AWS; it is a
tone, not words. SSML is checked as XML and only its text is spoken and billed, as Polly
counts ``RequestCharacters``. Speech marks (``OutputFormat: json``) are not made: such a
request is refused with a ``ValidationException`` that says so.

A task is ``scheduled``, then ``inProgress`` while its audio is made, then ``completed``
with the audio at ``s3://<OutputS3BucketName>/<OutputS3KeyPrefix><TaskId>.<ext>`` (the
``OutputUri`` is the object's https URL, as Polly gives it), or ``failed`` with a
``TaskStatusReason`` when the bucket cannot be written. With ``SnsTopicArn`` the task's
description (GetSpeechSynthesisTask's shape) is published to the topic when it ends.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moto.polly.resources import VOICE_IDS

from devstack.media import AUDIO_FORMATS, MediaError, make_speech
from devstack.rest_service import (
    Answer,
    Caller,
    LocalClients,
    RestServiceFront,
    ServiceError,
    validation_error,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

LOG = logging.getLogger(__name__)
# Polly's limits on billed characters: a direct call, and a task.
MAX_SPEECH_CHARACTERS = 3000
MAX_TASK_CHARACTERS = 100_000
_EXTENSIONS = {"mp3": "mp3", "ogg_vorbis": "ogg", "pcm": "pcm"}
# Engines whose mp3 and ogg_vorbis default to 24 kHz (standard's to 22.05 kHz).
_24_KHZ_ENGINES = {"neural", "long-form", "generative"}
_SAMPLE_RATES = {
    "mp3": {"8000", "16000", "22050", "24000"},
    "ogg_vorbis": {"8000", "16000", "22050", "24000"},
    "pcm": {"8000", "16000"},
}


def spoken_text(text: str, text_type: str) -> str:
    """The text Polly reads (and bills): SSML's text without its tags."""
    if text_type != "ssml":
        return text
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise ServiceError(400, "InvalidSsmlException", f"Invalid SSML request: {err}") from err
    if root.tag != "speak":
        raise ServiceError(400, "InvalidSsmlException", "Invalid SSML request: no <speak> root")
    return "".join(root.itertext())


def checked_request(members: dict[str, Any], limit: int) -> tuple[str, str, int]:
    """``(spoken text, output format, sample rate)`` of a speech request, or the error
    Polly gives for it."""
    voice, output_format = members.get("VoiceId"), members.get("OutputFormat")
    if voice not in VOICE_IDS:
        raise validation_error(f"1 validation error detected: VoiceId {voice!r} is not a voice")
    if output_format == "json":
        raise validation_error("Speech marks (OutputFormat json) are not made by the local Polly")
    if output_format not in AUDIO_FORMATS:
        raise validation_error(f"OutputFormat {output_format!r} is not mp3, ogg_vorbis or pcm")
    text = spoken_text(str(members.get("Text", "")), str(members.get("TextType") or "text"))
    if len(text) > limit:
        raise ServiceError(
            400,
            "TextLengthExceededException",
            f"Maximum text length has been exceeded: {len(text)} > {limit} characters",
        )
    default = AUDIO_FORMATS[output_format][3]
    if output_format != "pcm" and members.get("Engine") in _24_KHZ_ENGINES:
        default = 24000
    rate = str(members.get("SampleRate") or default)
    if rate not in _SAMPLE_RATES[output_format]:
        raise ServiceError(400, "InvalidSampleRateException", f"Invalid sample rate: {rate}")
    return text, output_format, int(rate)


def speech_bytes(text: str, output_format: str, rate: int) -> bytes:
    """The audio file's bytes (made in a temporary directory, removed after)."""
    with tempfile.TemporaryDirectory(prefix="local-polly-") as work:
        target = Path(work) / f"speech.{_EXTENSIONS[output_format]}"
        make_speech(text, output_format, rate, target)
        return target.read_bytes()


class LocalPolly:
    """The handlers of Polly's speech operations; the tasks live as long as the server."""

    def __init__(self, clients: LocalClients) -> None:
        self.clients = clients
        self.tasks: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def synthesize_speech(self, members: dict[str, Any], caller: Caller) -> Answer:
        text, output_format, rate = checked_request(members, MAX_SPEECH_CHARACTERS)
        try:
            audio = speech_bytes(text, output_format, rate)
        except MediaError as err:
            raise ServiceError(500, "ServiceFailureException", str(err)) from err
        headers = {
            "Content-Type": AUDIO_FORMATS[output_format][2],
            "x-amzn-RequestCharacters": str(len(text)),
        }
        return Answer(audio, headers)

    def start_task(self, members: dict[str, Any], caller: Caller) -> Answer:
        text, output_format, rate = checked_request(members, MAX_TASK_CHARACTERS)
        bucket = str(members.get("OutputS3BucketName") or "")
        topic = members.get("SnsTopicArn")
        if not bucket:
            raise ServiceError(400, "InvalidS3BucketException", "OutputS3BucketName is required")
        if topic is not None and not str(topic).startswith("arn:aws:sns:"):
            raise ServiceError(400, "InvalidSnsTopicArnException", f"Invalid topic {topic!r}")
        task_id = str(uuid.uuid4())
        key = f"{members.get('OutputS3KeyPrefix') or ''}{task_id}.{_EXTENSIONS[output_format]}"
        task = {
            "Engine": members.get("Engine") or "standard",
            "TaskId": task_id,
            "TaskStatus": "scheduled",
            "OutputUri": f"https://s3.{caller.region}.amazonaws.com/{bucket}/{key}",
            "CreationTime": time.time(),
            "RequestCharacters": len(text),
            "OutputFormat": output_format,
            "SampleRate": str(rate),
            "TextType": members.get("TextType") or "text",
            "VoiceId": members["VoiceId"],
        }
        for optional in ("SnsTopicArn", "LanguageCode", "LexiconNames", "SpeechMarkTypes"):
            if members.get(optional):
                task[optional] = members[optional]
        with self._lock:
            self.tasks[task_id] = task
        answer = Answer({"SynthesisTask": dict(task)})
        work = (text, bucket, key, caller)
        threading.Thread(target=self._run, args=(task, *work), daemon=True).start()
        return answer

    def _run(self, task: dict[str, Any], text: str, bucket: str, key: str, caller: Caller) -> None:
        self._set(task, TaskStatus="inProgress")
        try:
            audio = speech_bytes(text, task["OutputFormat"], int(task["SampleRate"]))
            self.clients.get("s3", caller).put_object(
                Bucket=bucket,
                Key=key,
                Body=audio,
                ContentType=AUDIO_FORMATS[task["OutputFormat"]][2],
            )
        except Exception as err:  # S3's refusal or ffmpeg's failure: the task's reason
            reason = f"Error occurred while trying to write the audio to s3://{bucket}/{key}: {err}"
            self._set(task, TaskStatus="failed", TaskStatusReason=reason)
        else:
            self._set(task, TaskStatus="completed")
        if task.get("SnsTopicArn"):
            try:
                self.clients.get("sns", caller).publish(
                    TopicArn=task["SnsTopicArn"], Message=json.dumps(self._copy(task))
                )
            except Exception:  # the topic is gone or refuses: the task's outcome stands
                LOG.warning("task %s: its topic was not told", task["TaskId"], exc_info=True)

    def _set(self, task: dict[str, Any], **changes: Any) -> None:
        with self._lock:
            task.update(changes)

    def _copy(self, task: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return dict(task)

    def get_task(self, members: dict[str, Any], caller: Caller) -> Answer:
        with self._lock:
            task = self.tasks.get(str(members.get("TaskId")))
        if task is None:
            raise ServiceError(400, "SynthesisTaskNotFoundException", "Task not found")
        return Answer({"SynthesisTask": self._copy(task)})

    def list_tasks(self, members: dict[str, Any], caller: Caller) -> Answer:
        with self._lock:
            tasks = [dict(t) for t in self.tasks.values()]
        if members.get("Status"):
            tasks = [t for t in tasks if t["TaskStatus"] == members["Status"]]
        tasks.sort(key=lambda t: t["CreationTime"], reverse=True)
        start, size = int(members.get("NextToken") or 0), int(members.get("MaxResults") or 100)
        answer: dict[str, Any] = {"SynthesisTasks": tasks[start : start + size]}
        if start + size < len(tasks):
            answer["NextToken"] = str(start + size)
        return Answer(answer)


def polly_front(aws: WSGIApplication, clients: LocalClients) -> RestServiceFront:
    """The local Polly's speech operations in front of ``aws`` (moto: voices, lexicons)."""
    polly = LocalPolly(clients)
    handlers = {
        "SynthesizeSpeech": polly.synthesize_speech,
        "StartSpeechSynthesisTask": polly.start_task,
        "GetSpeechSynthesisTask": polly.get_task,
        "ListSpeechSynthesisTasks": polly.list_tasks,
    }
    return RestServiceFront(aws, "polly", "polly", handlers)
