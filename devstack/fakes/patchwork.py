"""Patchwork's REST API as ``../shared/specs/patches.md`` describes it (and Patchwork's own
``LinkHeaderPagination``): ``GET /api/<version>/patches/`` answers a bare JSON list, filtered by
``project`` (link name or id), ``state``, ``series``, ``msgid``, ``since`` (date >=) and
``before`` (date <), ordered by ``order`` (``date``, ``id``, ``name``; ``-`` descending),
paginated by ``page`` and ``per_page`` (capped at ``max_page_size``, as the server caps it),
with the other pages only in the ``Link`` header (``rel="next"``, ``rel="prev"``). A page past
the end is a 404 ``{"detail": "Invalid page."}``, as Django REST framework answers.
"""

from __future__ import annotations

import math
import zlib
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request

from devstack.fakes.base import FakeServer

DEFAULT_PAGE_SIZE = 30


def patchwork_patch(
    patch_id: int,
    project: str,
    name: str,
    date: datetime,
    msgid: str,
    submitter: tuple[str, str],
    state: str = "new",
    series: tuple[int, str, int] | None = None,
    base_url: str = "https://patchwork.example.org",
) -> dict[str, Any]:
    """One patch as the list view returns it (``date`` naive UTC, ``msgid`` in ``<>``)."""
    name_, email = submitter
    return {
        "id": patch_id,
        "url": f"{base_url}/api/1.3/patches/{patch_id}/",
        "web_url": f"{base_url}/project/{project}/patch/{msgid}/",
        "project": {
            "id": 1,
            "url": f"{base_url}/api/1.3/projects/1/",
            "name": project,
            "link_name": project,
            "list_id": f"{project}.vger.kernel.org",
            "list_email": f"{project}@vger.kernel.org",
        },
        "msgid": f"<{msgid}>",
        "list_archive_url": f"https://lore.kernel.org/r/{msgid}",
        "date": date.replace(tzinfo=None, microsecond=0).isoformat(),
        "name": name,
        "commit_ref": None,
        "pull_url": None,
        "state": state,
        "archived": False,
        "hash": f"{patch_id:040x}",
        "submitter": {"id": zlib.crc32(email.encode()) % 10_000, "name": name_, "email": email},
        "delegate": None,
        "mbox": f"{base_url}/project/{project}/patch/{msgid}/mbox/",
        "series": (
            [
                {
                    "id": series[0],
                    "url": f"{base_url}/api/1.3/series/{series[0]}/",
                    "web_url": f"{base_url}/project/{project}/list/?series={series[0]}",
                    "name": series[1],
                    "version": series[2],
                    "date": date.replace(tzinfo=None, microsecond=0).isoformat(),
                    "mbox": f"{base_url}/series/{series[0]}/mbox/",
                }
            ]
            if series
            else []
        ),
        "comments": f"{base_url}/api/patches/{patch_id}/comments/",
        "check": "pending",
        "checks": f"{base_url}/api/patches/{patch_id}/checks/",
        "tags": {},
        "related": [],
    }


def _error(status: int, body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=None)


class FakePatchwork(FakeServer):
    def __init__(self, max_page_size: int = 250) -> None:
        super().__init__("fake-patchwork")
        self.max_page_size = max_page_size
        self.patches: list[dict[str, Any]] = []
        # The query string of every list request, in order (what a test checks was asked).
        self.queries: list[dict[str, str]] = []
        self.app.add_url_rule("/api/<version>/patches/", view_func=self._list)

    def add(self, patches: list[dict[str, Any]]) -> None:
        """Hold these patches too (a patch with an id held already replaces it: a state
        change upstream)."""
        ids = {p["id"] for p in patches}
        self.patches = [p for p in self.patches if p["id"] not in ids] + list(patches)

    def set_state(self, patch_id: int, state: str) -> None:
        for patch in self.patches:
            if patch["id"] == patch_id:
                patch["state"] = state

    def _matching(self) -> list[dict[str, Any]]:
        args = request.args
        items = list(self.patches)
        if project := args.get("project"):
            items = [
                p for p in items if project in (p["project"]["link_name"], str(p["project"]["id"]))
            ]
        if state := args.get("state"):
            items = [p for p in items if p["state"] == state]
        if series := args.get("series"):
            items = [p for p in items if any(str(s["id"]) == series for s in p["series"])]
        if msgid := args.get("msgid"):
            items = [p for p in items if p["msgid"].strip("<>") == msgid]
        if since := args.get("since"):
            items = [p for p in items if _date(p["date"]) >= _date(since)]
        if before := args.get("before"):
            items = [p for p in items if _date(p["date"]) < _date(before)]
        order = args.get("order", "id")
        field = order.lstrip("-")
        if field not in ("id", "date", "name"):
            field = "id"
        return sorted(items, key=lambda p: (p[field], p["id"]), reverse=order.startswith("-"))

    def _link(self, page: int) -> str:
        query = request.args.to_dict() | {"page": str(page)}
        return f"<{request.base_url}?{urlencode(query)}>"

    def _list(self, version: str) -> Response:
        self.queries.append(request.args.to_dict())
        try:
            items = self._matching()
            per_page = min(int(request.args.get("per_page", DEFAULT_PAGE_SIZE)), self.max_page_size)
            page = int(request.args.get("page", 1))
        except ValueError:
            return _error(400, {"detail": "a filter or page parameter is malformed"})
        if per_page < 1:
            per_page = DEFAULT_PAGE_SIZE
        pages = max(math.ceil(len(items) / per_page), 1)
        if not 1 <= page <= pages:
            return _error(404, {"detail": "Invalid page."})
        response = jsonify(items[(page - 1) * per_page : page * per_page])
        links = []
        if page < pages:
            links.append(f'{self._link(page + 1)}; rel="next"')
        if page > 1:
            links.append(f'{self._link(page - 1)}; rel="prev"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return response
