"""lore.kernel.org (public-inbox): a whole thread as a gzipped mbox,
``{base}/{inbox}/{message-id}/t.mbox.gz``, found by any Message-ID of the thread.

The mbox is mboxrd: each message follows a ``From mboxrd@z ...`` line, and a body line
that starts with ``From `` after any number of ``>`` was written with one more ``>``, so no
body line can pass for a separator. ``mailbox.mbox`` splits such a file correctly but does
not undo the quoting: ``messages`` does (one ``>`` off each ``>+From `` line), or a reply's
"From my reading..." would be stored as ``>From my reading...`` and read as a quote.
"""

from __future__ import annotations

import gzip
import mailbox
import re
import tempfile
from pathlib import Path
from urllib.parse import quote

from chalicelib.patches.exceptions import ThreadNotFoundError
from chalicelib.patches.transport import ServiceClient

DEFAULT_URL = "https://lore.kernel.org"
GZIP_MAGIC = b"\x1f\x8b"
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


def unescape_mboxrd(raw: bytes) -> bytes:
    """One message of an mboxrd file as it was sent: ``>From `` back to ``From ``,
    ``>>From `` to ``>From `` (mboxrd's quoting is reversible; mboxo's is not)."""
    return _QUOTED_FROM.sub(rb"\1", raw)


def messages(mbox: bytes) -> list[bytes]:
    """The raw messages of an mboxrd file, in file order, quoting undone.

    ``mailbox`` reads from a file, so the mbox goes to a temporary folder (Lambda's
    ``/tmp``) that is removed before returning.
    """
    with tempfile.TemporaryDirectory(prefix="thread-") as folder:
        path = Path(folder) / "thread.mbox"
        path.write_bytes(mbox)
        box = mailbox.mbox(path, create=False)
        try:
            return [unescape_mboxrd(box.get_bytes(key)) for key in box.iterkeys()]
        finally:
            box.close()


def thread_path(inbox: str, message_id: str) -> str:
    """The thread's mbox path; the Message-ID without ``<>``, percent-encoded (ids hold
    ``/``, ``+``, ``%`` and the like)."""
    return f"/{quote(inbox, safe='')}/{quote(message_id.strip('<>'), safe='@')}/t.mbox.gz"


class LoreClient:
    def __init__(self, transport: ServiceClient, inbox: str) -> None:
        self._transport = transport
        self._inbox = inbox

    @property
    def calls(self) -> int:
        return self._transport.calls

    def thread_mbox(self, message_id: str) -> bytes:
        """The thread holding ``message_id``, as mbox bytes (unzipped).

        Raises:
            ThreadNotFoundError: lore has no such message (yet).
            CircuitOpenError, ServiceUnavailableError, RequestRejectedError: the transport's.
        """
        response = self._transport.get(thread_path(self._inbox, message_id))
        if response.status_code == 404:
            raise ThreadNotFoundError("lore", f"no thread holds <{message_id}>")
        body = response.content
        # An intermediary that already decoded the gzip leaves plain mbox.
        return gzip.decompress(body) if body.startswith(GZIP_MAGIC) else body
