"""Twilio's Messages API (2010-04-01): create and list, with basic auth and real error bodies.

Errors are Twilio's JSON (``{"code", "message", "more_info", "status"}``), so the SDK raises
``TwilioRestException`` with the same ``status`` and ``code`` as the real service.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from flask import Response, jsonify, request

from devstack.fakes.base import FakeServer, Fault

API = "/2010-04-01/Accounts/<account_sid>"


def twilio_error(status: int, code: int, message: str) -> Fault:
    """A fault as Twilio answers it, e.g. ``twilio_error(400, 63016, "outside 24h window")``."""
    return Fault(
        path_contains="/Messages",
        status=status,
        body={
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


class FakeTwilio(FakeServer):
    def __init__(self, accounts: dict[str, str] | None = None) -> None:
        super().__init__("fake-twilio")
        # account SID -> auth token; requests must authenticate as one of them.
        self.accounts: dict[str, str] = dict(accounts or {})
        self.messages: list[dict[str, Any]] = []
        self._messages_lock = threading.Lock()
        self.app.add_url_rule(f"{API}/Messages.json", view_func=self._create, methods=["POST"])
        self.app.add_url_rule(f"{API}/Messages.json", view_func=self._list, methods=["GET"])

    def _unauthorised(self, account_sid: str) -> Response | None:
        auth = request.authorization
        if (
            auth is None
            or auth.username != account_sid
            or self.accounts.get(account_sid) != auth.password
        ):
            response = jsonify(
                {
                    "code": 20003,
                    "message": "Authenticate",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": 401,
                }
            )
            response.status_code = 401
            return response
        return None

    def _create(self, account_sid: str) -> Response:
        refused = self._unauthorised(account_sid)
        if refused is not None:
            return refused
        form = request.form
        if not form.get("To") or not (form.get("Body") or form.get("ContentSid")):
            response = jsonify(
                {
                    "code": 21619,
                    "message": "A text message body or media urls must be specified.",
                    "status": 400,
                    "more_info": "https://www.twilio.com/docs/errors/21619",
                }
            )
            response.status_code = 400
            return response
        now = format_datetime(datetime.now(UTC), usegmt=True)
        sid = "SM" + secrets.token_hex(16)
        message: dict[str, Any] = {
            "sid": sid,
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "to": form["To"],
            "from": form.get("From"),
            "body": form.get("Body", ""),
            "content_sid": form.get("ContentSid"),
            "content_variables": form.get("ContentVariables"),
            "status_callback": form.get("StatusCallback"),
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": "0",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
            "subresource_uris": {},
        }
        with self._messages_lock:
            self.messages.append(message)
        response = jsonify(message)
        response.status_code = 201
        return response

    def _list(self, account_sid: str) -> Response:
        refused = self._unauthorised(account_sid)
        if refused is not None:
            return refused
        with self._messages_lock:
            mine = [m for m in self.messages if m["account_sid"] == account_sid]
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        return jsonify(
            {
                "messages": list(reversed(mine)),
                "uri": f"{uri}?PageSize=50&Page=0",
                "first_page_uri": f"{uri}?PageSize=50&Page=0",
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": 50,
                "start": 0,
                "end": max(len(mine) - 1, 0),
            }
        )
