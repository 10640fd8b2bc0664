"""Twilio's Messages API (2010-04-01): create and list, with basic auth and real error bodies.

Errors are Twilio's JSON (``{"code", "message", "more_info", "status"}``), so the SDK raises
``TwilioRestException`` with the same ``status`` and ``code`` as the real service. A created
message is answered ``queued`` (no ``date_sent`` yet), then listed as ``sent`` with its
``date_sent``, as Twilio has it a moment later; the list filters by ``To``, ``From`` and
``DateSent`` (``DateSent>`` on or after, ``DateSent<`` on or before), each a date
(``YYYY-MM-DD``, the whole day) or a moment (``YYYY-MM-DDTHH:MM:SSZ``, as the SDK sends it).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from flask import Response, jsonify, request

from devstack.fakes.base import FakeServer, Fault

API = "/2010-04-01/Accounts/<account_sid>"


def twilio_error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> Fault:
    """A fault as Twilio answers it, e.g. ``twilio_error(400, 63016, "outside 24h window")``
    (a 429 may say when to come back: ``headers={"Retry-After": "3"}``)."""
    return Fault(
        path_contains="/Messages",
        status=status,
        body=_error_body(status, code, message),
        headers=dict(headers or {}),
    )


def _error_body(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _error(status: int, code: int, message: str) -> Response:
    response = jsonify(_error_body(status, code, message))
    response.status_code = status
    return response


def _date_filter(operator: str, value: str) -> Callable[[datetime], bool]:
    """A ``DateSent`` filter as Twilio reads it: a date stands for its whole (UTC) day.

    Raises:
        ValueError: the value is neither a date nor a moment.
    """
    if len(value) == len("YYYY-MM-DD"):
        day = date.fromisoformat(value)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        end = start + timedelta(days=1) - timedelta(seconds=1)
    else:
        start = end = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if operator == ">":
        return lambda sent: sent >= start
    if operator == "<":
        return lambda sent: sent <= end
    return lambda sent: start <= sent <= end


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
            return _error(401, 20003, "Authenticate")
        return None

    def _create(self, account_sid: str) -> Response:
        refused = self._unauthorised(account_sid)
        if refused is not None:
            return refused
        form = request.form
        if not form.get("To") or not (form.get("Body") or form.get("ContentSid")):
            return _error(400, 21619, "A text message body or media urls must be specified.")
        now = format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True)
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
            self.messages.append(message | {"status": "sent", "date_sent": now})
        response = jsonify(message)
        response.status_code = 201
        return response

    def _list(self, account_sid: str) -> Response:
        refused = self._unauthorised(account_sid)
        if refused is not None:
            return refused
        try:
            dates = [
                _date_filter(name.removeprefix("DateSent"), value)
                for name, value in request.args.items()
                if name in ("DateSent", "DateSent>", "DateSent<")
            ]
        except ValueError:
            return _error(400, 20001, "Invalid DateSent: a date YYYY-MM-DD or a UTC moment")
        with self._messages_lock:
            mine = [
                m
                for m in self.messages
                if m["account_sid"] == account_sid
                and request.args.get("To", m["to"]) == m["to"]
                and request.args.get("From", m["from"]) == m["from"]
                and all(
                    m["date_sent"] and keep(parsedate_to_datetime(m["date_sent"])) for keep in dates
                )
            ]
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
