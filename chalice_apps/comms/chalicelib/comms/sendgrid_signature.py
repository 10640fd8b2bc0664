"""SendGrid's signed Event Webhook: an ECDSA signature (P-256, SHA-256) over the timestamp
header followed by the raw body, checked with the account's verification key, the base64 DER
public key SendGrid shows when signing is turned on (Settings, Mail Settings, Event Webhook).
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

SIGNATURE_HEADER: Final = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER: Final = "X-Twilio-Email-Event-Webhook-Timestamp"


def signed_content(timestamp: str, payload: bytes) -> bytes:
    """What SendGrid signs: the timestamp header's text, then the body exactly as posted."""
    return timestamp.encode() + payload


def verify(public_key: str, timestamp: str, payload: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64 DER) is SendGrid's over ``timestamp`` and ``payload``
    for ``public_key``; a key or signature that cannot be read is simply not a match."""
    try:
        key = load_der_public_key(base64.b64decode(public_key, validate=True))
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            return False
        key.verify(
            base64.b64decode(signature, validate=True),
            signed_content(timestamp, payload),
            ec.ECDSA(hashes.SHA256()),
        )
    except (binascii.Error, ValueError, UnsupportedAlgorithm, InvalidSignature):
        return False
    return True
