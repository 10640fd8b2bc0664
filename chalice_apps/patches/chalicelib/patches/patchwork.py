"""The Patchwork REST API (``../shared/specs/patches.md``): the patches of a project, ordered
by date, page after page by the ``Link`` header.

The hourly run asks for everything ``since`` its cursor; the daily refresh for a window
(``since`` .. ``before``). Each page asks for ``page_size`` patches (the server caps it at
what it allows) and the next page is whatever ``rel="next"`` says: the client never builds
page numbers itself, so it follows the server's pagination exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from chalicelib.patches.exceptions import RequestRejectedError
from chalicelib.patches.transport import ServiceClient

DEFAULT_URL = "https://patchwork.kernel.org"
# The API version the payloads were checked against (1.0-1.4 exist; fields only grow).
API_VERSION = "1.3"


def patchwork_time(moment: datetime) -> str:
    """Patchwork's filters take naive UTC ISO 8601 (``2026-11-20T10:00:00``)."""
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


class PatchworkClient:
    def __init__(self, transport: ServiceClient, page_size: int) -> None:
        self._transport = transport
        self._page_size = page_size

    @property
    def calls(self) -> int:
        return self._transport.calls

    def patches(
        self, project: str, since: datetime | None = None, before: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every patch of ``project`` dated ``since`` (inclusive) .. ``before`` (exclusive),
        oldest first, as the API returns them (validation is the caller's).

        Raises:
            CircuitOpenError, ServiceUnavailableError, RequestRejectedError: from the
                transport; the patches yielded before stay yielded.
        """
        query: dict[str, Any] = {"project": project, "order": "date", "per_page": self._page_size}
        if since is not None:
            query["since"] = patchwork_time(since)
        if before is not None:
            query["before"] = patchwork_time(before)
        url: str | None = f"/api/{API_VERSION}/patches/"
        params: dict[str, Any] | None = query
        while url is not None:
            response = self._transport.get(url, params)
            if response.status_code == 404:
                raise RequestRejectedError("patchwork", f"{url} answered 404")
            page = response.json()
            if not isinstance(page, list):
                raise RequestRejectedError("patchwork", f"{url} did not answer a JSON list")
            yield from page
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries every parameter
