"""lore.kernel.org (public-inbox) as ``../shared/specs/patches.md`` describes it: the whole
thread of any of its messages as a gzipped mbox, ``/<inbox>/<message-id>/t.mbox.gz`` (any
inbox name: the fake holds one archive, like ``all``), 404 for a Message-ID it does not hold.

The mbox is mboxrd, as public-inbox writes it: each message after a ``From mboxrd@z ...``
line, with body lines that start with ``From `` (after any ``>``) quoted with one more ``>``.
"""

from __future__ import annotations

import gzip
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from flask import Response

from devstack.fakes.base import FakeServer

_MSGID = re.compile(rb"^Message-ID:\s*<([^>]+)>", re.IGNORECASE | re.MULTILINE)
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)
SEPARATOR = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"


def mail(
    message_id: str,
    subject: str,
    author: tuple[str, str],
    date: datetime,
    body: str,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
) -> bytes:
    """One message as a mailing list delivers it."""
    message = EmailMessage()
    message["From"] = f"{author[0]} <{author[1]}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{r}>" for r in references)
    message.set_content(body)
    return message.as_bytes()


def mboxrd(messages: list[bytes]) -> bytes:
    """Messages as one mboxrd file."""
    parts = []
    for raw in messages:
        head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
        body = _FROM_LINE.sub(rb">\1", body)
        parts.append(SEPARATOR + head + b"\n\n" + body.rstrip(b"\n") + b"\n\n")
    return b"".join(parts)


class FakeLore(FakeServer):
    def __init__(self) -> None:
        super().__init__("fake-lore")
        self.threads: list[list[bytes]] = []
        self._thread_of: dict[str, int] = {}
        # The Message-ID of every thread asked for, in order.
        self.asked: list[str] = []
        self.app.add_url_rule(
            "/<inbox>/<path:message_id>/t.mbox.gz", view_func=self._thread_mbox, methods=["GET"]
        )

    def add_thread(self, messages: list[bytes]) -> None:
        """Hold a thread (raw messages, in any order); a message already held moves to it."""
        index = len(self.threads)
        self.threads.append(list(messages))
        for raw in messages:
            if match := _MSGID.search(raw.partition(b"\n\n")[0]):
                self._thread_of[match.group(1).decode()] = index

    def _thread_mbox(self, inbox: str, message_id: str) -> Response:
        self.asked.append(message_id)
        index = self._thread_of.get(message_id.strip("<>"))
        if index is None:
            return Response("Not found\n", status=404, content_type="text/plain")
        return Response(
            gzip.compress(mboxrd(self.threads[index])),
            content_type="application/gzip",
        )
