"""The local MediaConvert: ``CreateJob``, ``GetJob``, ``ListJobs`` and ``DescribeEndpoints``
(moto has no MediaConvert), answered on the local AWS endpoint in its wire format, so the
same client code runs here and in AWS (``DescribeEndpoints`` names this endpoint, as older
clients ask for the account's own).

A job really makes its outputs (``render.py``: the inputs joined, the narration
laid over them, H.264/AAC MP4 written to the file group's S3 destination). Its status goes
``SUBMITTED`` → ``PROGRESSING`` → ``COMPLETE`` (with each output's duration and size in
``outputGroupDetails``) or ``ERROR`` with ``errorCode`` and ``errorMessage`` (1010 when an
input cannot be read from S3, 1999 for anything else). Each change to ``PROGRESSING``,
``COMPLETE`` or ``ERROR`` is put on the caller's default EventBridge bus as MediaConvert's
"MediaConvert Job State Change" event (source ``aws.mediaconvert``), so rules and task-token
callbacks see it as in AWS. The job's ``role`` is recorded, not assumed: the job reads and
writes with the caller's credentials.

Test aid, documented so tests can exercise a pipeline's error path: a job whose user
metadata holds :data:`FAIL_MARKER` in a value ends ``ERROR`` (1999) without rendering.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.rest_service import (
    Answer,
    Caller,
    LocalClients,
    RestServiceFront,
    ServiceError,
    split_s3_uri,
)
from devstack.services.mediaconvert.render import (
    InputPlan,
    OutputPlan,
    plan_inputs,
    plan_outputs,
    render,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

LOG = logging.getLogger(__name__)
EVENT_SOURCE = "aws.mediaconvert"
EVENT_DETAIL_TYPE = "MediaConvert Job State Change"
INPUT_ERROR_CODE = 1010
FAIL_MARKER = "[local:render-fail]"
OTHER_ERROR_CODE = 1999


class _InputError(Exception):
    """An input could not be read from S3."""


class LocalMediaConvert:
    """The handlers of MediaConvert's job operations; jobs live as long as the server."""

    def __init__(self, clients: LocalClients, endpoint: str) -> None:
        self.clients = clients
        self.endpoint = endpoint
        self.jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def create_job(self, members: dict[str, Any], caller: Caller) -> Answer:
        settings: dict[str, Any] = members.get("settings") or {}
        if not members.get("role"):
            raise ServiceError(400, "BadRequestException", "/role: a role is required")
        inputs: list[dict[str, Any]] = settings.get("inputs") or [{}]
        first = inputs[0].get("fileInput")
        outputs = plan_outputs(settings, first)
        plans = [(plan_inputs(settings, output.audio_source), output) for output in outputs]
        token = members.get("clientRequestToken")
        with self._lock:
            for job in self.jobs.values():
                if token and job.get("clientRequestToken") == token:
                    return Answer({"job": dict(job)}, status=201)
            job_id = f"{int(time.time() * 1000)}-{uuid.uuid4().hex[:6]}"
            now = time.time()
            job = {
                "arn": f"arn:aws:mediaconvert:{caller.region}:{caller.account}:jobs/{job_id}",
                "id": job_id,
                "role": members["role"],
                "settings": settings,
                "queue": members.get("queue")
                or f"arn:aws:mediaconvert:{caller.region}:{caller.account}:queues/Default",
                "status": "SUBMITTED",
                "createdAt": now,
                "timing": {"submitTime": now},
                "userMetadata": members.get("userMetadata") or {},
                "priority": int(members.get("priority") or 0),
                "accelerationStatus": "NOT_APPLICABLE",
                "billingTagsSource": members.get("billingTagsSource") or "JOB",
                "statusUpdateInterval": members.get("statusUpdateInterval") or "SECONDS_60",
                "retryCount": 0,
                "messages": {"info": [], "warning": []},
            }
            if token:
                job["clientRequestToken"] = token
            self.jobs[job_id] = job
            answer = Answer({"job": dict(job)}, status=201)
        threading.Thread(target=self._run, args=(job, plans, caller), daemon=True).start()
        return answer

    def _run(
        self, job: dict[str, Any], plans: list[tuple[list[InputPlan], OutputPlan]], caller: Caller
    ) -> None:
        self._change(
            job,
            caller,
            status="PROGRESSING",
            currentPhase="TRANSCODING",
            jobPercentComplete=0,
            timing={**job["timing"], "startTime": time.time()},
        )
        details = []
        try:
            self._fail_on_demand(job)
            with tempfile.TemporaryDirectory(prefix="local-mediaconvert-") as work:
                fetch = self._fetcher(Path(work), caller)
                for n, (inputs, output) in enumerate(plans):
                    target = Path(work) / f"output-{n}.mp4"
                    facts = render(inputs, output, fetch, target)
                    bucket, key = split_s3_uri(output.destination)
                    self.clients.get("s3", caller).put_object(
                        Bucket=bucket, Key=key, Body=target.read_bytes(), ContentType="video/mp4"
                    )
                    details.append(
                        {
                            "outputFilePaths": [output.destination],
                            "durationInMs": round(facts.duration * 1000),
                            "videoDetails": {"widthInPx": facts.width, "heightInPx": facts.height},
                        }
                    )
        except _InputError as err:
            self._fail(job, caller, INPUT_ERROR_CODE, str(err))
        except Exception as err:  # ffmpeg's or S3's refusal: the job's error, as MediaConvert's
            self._fail(job, caller, OTHER_ERROR_CODE, str(err))
        else:
            self._change(
                job,
                caller,
                status="COMPLETE",
                jobPercentComplete=100,
                timing={**job["timing"], "finishTime": time.time()},
                outputGroupDetails=[{"outputDetails": details}],
            )

    @staticmethod
    def _fail_on_demand(job: dict[str, Any]) -> None:
        """The test aid of the module's docstring."""
        if any(FAIL_MARKER in str(value) for value in job["userMetadata"].values()):
            raise RuntimeError(f"The job failed on demand ({FAIL_MARKER} in its user metadata)")

    def _fetcher(self, work: Path, caller: Caller) -> Any:
        """A function giving a local copy of an S3 URI, each downloaded once."""
        copies: dict[str, Path] = {}

        def fetch(uri: str) -> Path:
            if uri not in copies:
                bucket, key = split_s3_uri(uri)
                target = work / f"input-{len(copies)}{Path(key).suffix}"
                try:
                    self.clients.get("s3", caller).download_file(bucket, key, str(target))
                except Exception as err:  # S3's answer, whatever botocore raised for it
                    raise _InputError(f"Unable to open input file [{uri}]: {err}") from err
                copies[uri] = target
            return copies[uri]

        return fetch

    def _fail(self, job: dict[str, Any], caller: Caller, code: int, message: str) -> None:
        timing = {**job["timing"], "finishTime": time.time()}
        self._change(
            job, caller, status="ERROR", errorCode=code, errorMessage=message, timing=timing
        )

    def _change(self, job: dict[str, Any], caller: Caller, **changes: Any) -> None:
        """Apply a status change and put MediaConvert's event for it on the default bus."""
        with self._lock:
            job.update(changes)
            if job["status"] in ("COMPLETE", "ERROR"):
                job.pop("currentPhase", None)
            detail: dict[str, Any] = {
                "timestamp": int(time.time() * 1000),
                "accountId": caller.account,
                "queue": job["queue"],
                "jobId": job["id"],
                "status": job["status"],
                "userMetadata": job["userMetadata"],
            }
            if job["status"] == "ERROR":
                detail |= {"errorCode": job["errorCode"], "errorMessage": job["errorMessage"]}
            if job["status"] == "COMPLETE":
                groups = job["outputGroupDetails"]
                detail["outputGroupDetails"] = [{**g, "type": "FILE_GROUP"} for g in groups]
        entry = {
            "Source": EVENT_SOURCE,
            "DetailType": EVENT_DETAIL_TYPE,
            "Detail": json.dumps(detail),
            "Resources": [job["arn"]],
        }
        try:
            self.clients.get("events", caller).put_events(Entries=[entry])
        except Exception:  # delivery is best effort, as MediaConvert's: the job goes on
            LOG.warning("job %s: its %s event was not put", job["id"], job["status"], exc_info=True)

    def get_job(self, members: dict[str, Any], caller: Caller) -> Answer:
        with self._lock:
            job = self.jobs.get(str(members.get("Id")))
            found = dict(job) if job else None
        if found is None:
            raise ServiceError(
                404, "NotFoundException", f"The job {members.get('Id')} was not found"
            )
        return Answer({"job": found})

    def list_jobs(self, members: dict[str, Any], caller: Caller) -> Answer:
        with self._lock:
            jobs = [dict(j) for j in self.jobs.values()]
        # The query string's members, by their model names.
        if members.get("Status"):
            jobs = [j for j in jobs if j["status"] == members["Status"]]
        jobs.sort(key=lambda j: j["createdAt"], reverse=members.get("Order") != "ASCENDING")
        start, size = int(members.get("NextToken") or 0), int(members.get("MaxResults") or 20)
        answer: dict[str, Any] = {"jobs": jobs[start : start + size]}
        if start + size < len(jobs):
            answer["nextToken"] = str(start + size)
        return Answer(answer)

    def describe_endpoints(self, members: dict[str, Any], caller: Caller) -> Answer:
        return Answer({"endpoints": [{"url": self.endpoint}]})


def mediaconvert_front(
    aws: WSGIApplication, clients: LocalClients, endpoint: str
) -> RestServiceFront:
    """The local MediaConvert in front of ``aws``; ``endpoint`` is what DescribeEndpoints names."""
    service = LocalMediaConvert(clients, endpoint)
    handlers = {
        "CreateJob": service.create_job,
        "GetJob": service.get_job,
        "ListJobs": service.list_jobs,
        "DescribeEndpoints": service.describe_endpoints,
    }
    return RestServiceFront(aws, "mediaconvert", "mediaconvert", handlers)
