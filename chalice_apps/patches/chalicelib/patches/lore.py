"""lore.kernel.org (public-inbox): a whole thread as a gzipped mbox,
``{base}/{inbox}/{message-id}/t.mbox.gz``, found by any Message-ID of the thread."""

from __future__ import annotations

import gzip
from urllib.parse import quote

from chalicelib.patches.exceptions import ThreadNotFoundError
from chalicelib.patches.transport import ServiceClient

DEFAULT_URL = "https://lore.kernel.org"
GZIP_MAGIC = b"\x1f\x8b"


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
