"""SendGrid's v3 API as the comms e-mail processor and people use it.

- ``POST /v3/mail/send``: a Bearer API key (else 401), the body checked as SendGrid checks
  it (``personalizations`` with recipients, ``from.email``, ``subject``, ``content``; else a
  400 naming the field), then ``202 Accepted`` with an empty body and ``X-Message-Id``.
  Errors are SendGrid's ``{"errors": [{"message", "field", "help"}]}``.
- The Event Webhook, as SendGrid's settings API configures it: ``GET``/``PATCH
  /v3/user/webhooks/event/settings`` (``enabled``, ``url``) and ``GET
  .../settings/signed`` (the verification key, base64 DER). Once a mail is accepted, its
  ``processed`` and then ``delivered`` events are posted to that URL, signed as SendGrid
  signs them (ECDSA P-256 over the timestamp header and the body), each carrying the mail's
  ``custom_args``.
- ``GET /_mail``: every mail received, newest first (for tests and people; not SendGrid's).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Response, jsonify, request

from devstack.fakes.base import FakeServer, Fault

MAIL_SEND = "/v3/mail/send"
EVENT_SETTINGS = "/v3/user/webhooks/event/settings"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"


def sendgrid_error(
    status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> Fault:
    """A Mail Send fault as SendGrid answers it, e.g. ``sendgrid_error(403, "The from address
    does not match a verified Sender Identity.", "from")``."""
    return Fault(
        path_contains=MAIL_SEND,
        status=status,
        body={"errors": [{"message": message, "field": field, "help": None}]},
        headers=dict(headers or {}),
    )


def rate_limited(reset_in_seconds: float) -> Fault:
    """SendGrid's 429, its limit resetting ``reset_in_seconds`` from now (X-RateLimit-Reset
    is a Unix time, in whole seconds)."""
    reset = int(time.time() + reset_in_seconds + 0.999)
    return sendgrid_error(
        429,
        "too many requests",
        headers={
            "X-RateLimit-Limit": "600",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset),
        },
    )


def public_key_of(private_key: ec.EllipticCurvePrivateKey) -> str:
    """The verification key as SendGrid shows it: base64 of the public key's DER."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _problem(message: str, field: str | None, status: int = 400) -> Response:
    response = jsonify({"errors": [{"message": message, "field": field, "help": _HELP}]})
    response.status_code = status
    return response


def _mail_problem(mail: dict[str, Any]) -> Response | None:
    """SendGrid's 400 for the first thing a Mail Send body lacks, or None."""
    personalizations = mail.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return _problem(
            "The personalizations field is required and must have at least one personalization.",
            "personalizations",
        )
    for index, personalization in enumerate(personalizations):
        recipients = personalization.get("to") if isinstance(personalization, dict) else None
        if not isinstance(recipients, list) or not all(
            isinstance(r, dict) and r.get("email") for r in recipients
        ):
            return _problem(
                "The to array is required for all personalization objects, and must have at "
                "least one email object with a valid email address.",
                f"personalizations.{index}.to",
            )
    if not isinstance(mail.get("from"), dict) or not mail["from"].get("email"):
        return _problem(
            "The from object must be provided for every email send. It is an object that "
            "requires the email parameter, but may also contain a name parameter.",
            "from.email",
        )
    if not mail.get("subject"):
        return _problem("The subject is required.", "subject")
    content = mail.get("content")
    blocks = content if isinstance(content, list) else []
    if not blocks or not all(
        isinstance(c, dict) and c.get("type") and c.get("value") for c in blocks
    ):
        return _problem(
            "Unless a valid template_id is provided, the content parameter is required. "
            "There must be at least one defined content block.",
            "content",
        )
    return None


class FakeSendGrid(FakeServer):
    def __init__(
        self,
        api_keys: set[str] | None = None,
        signing_key: ec.EllipticCurvePrivateKey | None = None,
        event_delay_seconds: float = 0.5,
    ) -> None:
        super().__init__("fake-sendgrid")
        self.api_keys = set(api_keys or ())
        self.signing_key = signing_key or ec.generate_private_key(ec.SECP256R1())
        self.event_delay_seconds = event_delay_seconds
        self.mail: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {"enabled": False, "url": ""}
        # What the webhook answered to each post: {"url", "status", "event"}.
        self.posts: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.app.add_url_rule(MAIL_SEND, view_func=self._send, methods=["POST"])
        self.app.add_url_rule(EVENT_SETTINGS, view_func=self._settings, methods=["GET"])
        self.app.add_url_rule(
            EVENT_SETTINGS, "patch_settings", view_func=self._patch_settings, methods=["PATCH"]
        )
        self.app.add_url_rule(f"{EVENT_SETTINGS}/signed", view_func=self._signed, methods=["GET"])
        self.app.add_url_rule("/_mail", view_func=self._list_mail, methods=["GET"])

    @property
    def public_key(self) -> str:
        """The Event Webhook's verification key (what a company's config holds)."""
        return public_key_of(self.signing_key)

    def _unauthorised(self) -> Response | None:
        header = request.headers.get("Authorization", "")
        if header.removeprefix("Bearer ") not in self.api_keys:
            return _problem(
                "The provided authorization grant is invalid, expired, or revoked", None, 401
            )
        return None

    def _send(self) -> Response:
        refused = self._unauthorised()
        if refused is not None:
            return refused
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _problem("Bad Request", None)
        problem = _mail_problem(body)
        if problem is not None:
            return problem
        message_id = secrets.token_urlsafe(16)[:22]
        mail = {
            "message_id": message_id,
            "received_at": datetime.now(UTC).isoformat(),
            "to": [r["email"] for p in body["personalizations"] for r in p["to"]],
            "from": body["from"]["email"],
            "subject": body["subject"],
            "request": body,
        }
        with self._lock:
            self.mail.append(mail)
        threading.Thread(
            target=self._report, args=(mail, "processed", "delivered"), daemon=True
        ).start()
        response = Response(status=202)
        response.headers["X-Message-Id"] = message_id
        return response

    def _settings(self) -> Response:
        return jsonify(self.webhook | {"processed": True, "delivered": True, "bounce": True})

    def _patch_settings(self) -> Response:
        changes = request.get_json(silent=True) or {}
        with self._lock:
            self.webhook.update({k: changes[k] for k in ("enabled", "url") if k in changes})
        return self._settings()

    def _signed(self) -> Response:
        return jsonify({"public_key": self.public_key})

    def _list_mail(self) -> Response:
        with self._lock:
            return jsonify({"mail": list(reversed(self.mail))})

    def event(self, mail: dict[str, Any], kind: str, **fields: Any) -> dict[str, Any]:
        """One event of ``kind`` for a mail received, as SendGrid's Event Webhook posts it:
        its ids, the recipient, and the mail's ``custom_args`` at the top level."""
        message_id = mail["message_id"]
        return {
            "email": mail["to"][0],
            "timestamp": int(time.time()),
            "smtp-id": f"<{message_id}@ismtpd0001p1lon1.sendgrid.net>",
            "event": kind,
            "sg_event_id": secrets.token_urlsafe(16),
            "sg_message_id": f"{message_id}.filterdrecv-fake-1-{secrets.token_hex(4)}.0",
            **mail["request"].get("custom_args", {}),
            **fields,
        }

    def signed(
        self, events: list[dict[str, Any]], timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A post of the Event Webhook: its body and headers, signed now (or at
        ``timestamp``, to replay an old one)."""
        return self.signed_body(json.dumps(events).encode(), timestamp)

    def signed_body(
        self, body: bytes, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Any body, signed as SendGrid signs its posts (to test what SendGrid never sends)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.signing_key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return body, {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: base64.b64encode(signature).decode(),
            TIMESTAMP_HEADER: stamp,
        }

    def _report(self, mail: dict[str, Any], *kinds: str) -> None:
        """Post each event to the Event Webhook, when one is enabled, as SendGrid does
        shortly after it accepts a mail."""
        for kind in kinds:
            time.sleep(self.event_delay_seconds)
            with self._lock:
                url = self.webhook["url"] if self.webhook["enabled"] else ""
            if not url:
                continue
            body, headers = self.signed([self.event(mail, kind)])
            try:
                status: int | str = requests.post(
                    url, data=body, headers=headers, timeout=10
                ).status_code
            except requests.RequestException as err:
                status = f"unreachable: {err}"
            with self._lock:
                self.posts.append({"url": url, "status": status, "event": kind})
