"""Mail text as mail clients show it: header values and bodies decoded, never a surrogate
escape left in what is stored.

Python's ``email`` reads a message's bytes as ASCII and keeps every other byte as a
surrogate escape (``\\udcc5``). ``policy.default`` then decodes RFC 2047 encoded words, but
raw 8-bit bytes in a header (a ``From: Rafał`` written in UTF-8 by a client that never
encodes) stay escaped in an address's display name, and an encoded word whose bytes do not
fit its declared charset, or whose charset Python does not know, leaves escapes as well.
Such a string cannot even be encoded to UTF-8, so DynamoDB would refuse the record.

What clients (Thunderbird, mutt) do with those bytes, and what is done here: raw bytes are
UTF-8 when they decode as UTF-8 (nearly all such mail today), else the charset the message
declares for its text, else windows-1252 (the usual default for unlabelled 8-bit mail, and a
superset of ISO-8859-1's printable range), else ISO-8859-1, which decodes any byte. Header
values are repaired before the header registry parses them, so an address's display name
and a subject decode alike; whatever escapes an encoded word leaves are repaired after.
"""

from __future__ import annotations

import codecs
import re
from email.headerregistry import BaseHeader
from email.message import EmailMessage
from email.policy import EmailPolicy

_ESCAPED = re.compile("[\udc80-\udcff]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_FOLD = re.compile(r"\r\n|\r|\n")
FALLBACK_CHARSET = "windows-1252"
_ASCII = frozenset({"ascii", "us-ascii", "646"})


def known_charset(name: str | None) -> str | None:
    """``name`` if Python has a codec for it, else None (a charset that lies or is made up
    is treated as undeclared)."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip('"')).name
        "".encode(codec)  # a LookupError for codecs that are not text encodings (base64...)
    except (LookupError, ValueError):
        return None
    return codec


def decode_bytes(raw: bytes, declared: str | None = None) -> str:
    """Bytes of unknown trust as text: UTF-8 if they are, else ``declared``, else
    windows-1252, else ISO-8859-1 (which never fails)."""
    for codec in ("utf-8", known_charset(declared), FALLBACK_CHARSET):
        if codec is None:
            continue
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def unescape(text: str, declared: str | None = None) -> str:
    """``text`` with every run of surrogate-escaped bytes decoded (see ``decode_bytes``) and
    any other lone surrogate replaced by U+FFFD."""
    decoded = _ESCAPED.sub(
        lambda run: decode_bytes(run.group().encode("ascii", "surrogateescape"), declared),
        text,
    )
    return _SURROGATE.sub("\ufffd", decoded)


def raw_values(message: EmailMessage, name: str, declared: str | None = None) -> list[str]:
    """Every value of header ``name``, in order, unfolded and with raw bytes decoded, but
    not parsed (Message-IDs are read from these: no registry parser can refuse them)."""
    wanted = name.lower()
    return [
        unescape(_FOLD.sub("", str(value)), declared)
        for key, value in message.raw_items()
        if key.lower() == wanted
    ]


def parsed_header(
    message: EmailMessage, name: str, declared: str | None = None
) -> BaseHeader | None:
    """The first ``name`` header parsed by the message's policy from its repaired value
    (``policy.default``: RFC 2047 words, addresses, dates), or None when there is none.

    Raises:
        ValueError, OverflowError: the registry's parsers on a hostile value (a date out
            of range, for instance).
    """
    values = raw_values(message, name, declared)
    if not values:
        return None
    policy = message.policy
    if not isinstance(policy, EmailPolicy):
        raise TypeError("messages are parsed with an EmailPolicy (policy.default)")
    header: BaseHeader = policy.header_factory(name, values[0])
    return header


def declared_charset(message: EmailMessage) -> str | None:
    """The charset the message declares for its text, if Python knows it and it is not
    ASCII (an ASCII label on 8-bit bytes says nothing about them)."""
    part = message.get_body(preferencelist=("plain",)) or message
    charset = known_charset(part.get_content_charset())
    return None if charset in _ASCII else charset


def text_body(message: EmailMessage) -> str:
    """The plain-text body, its transfer encoding undone and decoded: with its declared
    charset (replacement characters for the bytes that lie about it, as clients show them);
    undeclared, ASCII-labelled or unknown charsets as ``decode_bytes`` reads raw bytes."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = known_charset(part.get_content_charset())
    if charset is None or charset in _ASCII:
        return decode_bytes(payload)
    # A text codec may still yield lone surrogates (unicode_escape): none is kept.
    return _SURROGATE.sub("\ufffd", payload.decode(charset, errors="replace"))
