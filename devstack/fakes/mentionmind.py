"""MentionMind's API as ../shared/specs/mentions.md describes it: login for a session token,
``mention.php?function=getMentions`` paginated, 401 for an expired session.

``start_date``/``end_date`` select mentions by their ``date``; a mention whose date is
missing or malformed is in every range (as if just collected), so clients meet it.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request

from devstack.fakes.base import FakeServer


class FakeMentionMind(FakeServer):
    def __init__(self, api_keys: set[str], session_seconds: int = 3600) -> None:
        super().__init__("fake-mentionmind")
        self.api_keys = set(api_keys)
        self.session_seconds = session_seconds
        self.sessions: dict[str, float] = {}  # token -> expiry (time.time())
        self.mentions: dict[str, list[dict[str, Any]]] = {}  # project id -> mentions
        self.logins = 0
        self._lock = threading.Lock()
        self.app.add_url_rule("/login.php", view_func=self._login, methods=["POST"])
        self.app.add_url_rule("/mention.php", view_func=self._mention, methods=["GET"])

    def expire_sessions(self) -> None:
        """End every session now, as the real service does when a token times out."""
        with self._lock:
            self.sessions.clear()

    def _login(self) -> Response:
        body = request.get_json(silent=True) or {}
        if body.get("api_key") not in self.api_keys:
            response = jsonify({"error": "invalid api key"})
            response.status_code = 401
            return response
        token = secrets.token_hex(16)
        with self._lock:
            self.sessions[token] = time.time() + self.session_seconds
            self.logins += 1
        return jsonify({"session_token": token, "expires_in": self.session_seconds})

    def _mention(self) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            expiry = self.sessions.get(token)
        if expiry is None or expiry < time.time():
            response = jsonify({"error": "session expired"})
            response.status_code = 401
            return response
        if request.args.get("function") != "getMentions":
            response = jsonify({"error": "unknown function"})
            response.status_code = 400
            return response
        try:
            start = _moment(request.args["start_date"])
            end = _moment(request.args["end_date"])
        except (KeyError, ValueError):
            response = jsonify({"error": "start_date and end_date are required ISO 8601 dates"})
            response.status_code = 400
            return response
        items = [
            m
            for m in self.mentions.get(request.args.get("project_id", ""), [])
            if _in_range(m.get("date"), start, end)
        ]
        limit = int(request.args.get("limit", 100))
        page = int(request.args.get("page", 1))
        pages = max(math.ceil(len(items) / limit), 1)
        return jsonify(
            {
                "mentions": items[(page - 1) * limit : page * limit],
                "page": page,
                "total_pages": pages,
            }
        )


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in_range(date: Any, start: datetime, end: datetime) -> bool:
    try:
        return start <= _moment(str(date)) <= end
    except ValueError:
        return True
