"""The work the functions hand each other through SQS (seed 001 §1.3), and how it is sent.

- ``ThreadRequest``: refresh one lore thread and link it to its patches. The fetchers send
  one per thread: patches of one series share a thread (the cover letter's), so they travel
  together in one request; a patch without a series is its own.
- ``SliceRequest``: re-read one project's patches dated ``since`` .. ``before`` (the daily
  refresh fans its window out in days, so no single invocation grows with the window).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chalicelib.patches.exceptions import QueueError
from chalicelib.patches.records import Patch
from shared.dynamo import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

SQS_BATCH = 10
DAY = timedelta(days=1)


class ThreadPatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    msgid: str = Field(min_length=1)


class ThreadRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    project: str = Field(min_length=1)
    # Any Message-ID of the thread finds it on lore; the series' first patch is used.
    msgid: str = Field(min_length=1)
    patches: tuple[ThreadPatch, ...] = Field(min_length=1)


class SliceRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    project: str = Field(min_length=1)
    since: AwareDatetime
    before: AwareDatetime


def thread_requests(patches: Iterable[Patch]) -> list[ThreadRequest]:
    """One request per thread: patches grouped by series, each group found on lore by its
    earliest patch."""
    groups: dict[str, list[Patch]] = {}
    for patch in patches:
        group = f"series:{patch.series.id}" if patch.series else f"patch:{patch.id}"
        groups.setdefault(group, []).append(patch)
    requests = []
    for members in groups.values():
        members.sort(key=lambda p: (p.date, int(p.id)))
        requests.append(
            ThreadRequest(
                project=members[0].project,
                msgid=members[0].msgid,
                patches=tuple(ThreadPatch(id=p.id, msgid=p.msgid) for p in members),
            )
        )
    return requests


class WorkQueue:
    """One SQS queue of requests, sent 10 per SendMessageBatch."""

    def __init__(self, sqs: SQSClient, url: str) -> None:
        self._sqs = sqs
        self._url = url

    @aws_errors("queueing work", QueueError)
    def send(self, requests: Sequence[BaseModel]) -> int:
        """Queue every request; returns how many. An entry SQS refuses is sent once more
        before giving up.

        Raises:
            QueueError: SQS failed, or refused an entry twice.
        """
        for start in range(0, len(requests), SQS_BATCH):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(n), "MessageBody": request.model_dump_json()}
                for n, request in enumerate(requests[start : start + SQS_BATCH])
            ]
            for _attempt in range(2):
                failed = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries).get(
                    "Failed", []
                )
                refused = {f["Id"] for f in failed}
                entries = [e for e in entries if e["Id"] in refused]
                if not entries:
                    break
            else:
                raise QueueError(f"SQS refused {len(entries)} requests: {json.dumps(failed)}")
        return len(requests)


def day_slices(project: str, since: datetime, until: datetime) -> list[SliceRequest]:
    """``since`` .. ``until`` cut into one-day slices (the last may be shorter)."""
    slices = []
    start = since
    while start < until:
        end = min(start + DAY, until)
        slices.append(SliceRequest(project=project, since=start, before=end))
        start = end
    return slices
