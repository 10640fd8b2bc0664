"""A lore thread mbox turned into messages in thread order, with what the discussions table
keeps of each: author, UTC date, subject, an excerpt without quoted text, signature or diff,
and a sentiment score.

Parsing is the standard library's: ``mailbox.mbox`` splits the file and lore's mboxrd
quoting is undone (``lore.messages``), ``email`` (with ``policy.default``) reads each
message, and ``mailtext`` decodes headers and body as mail clients do. A message that
cannot be used (no Message-ID, no usable date, no sender, or one the parser chokes on) is
returned as ``Malformed`` with the reason, never raised: one bad message must not lose the
thread.

Thread order: a message's parent is its ``In-Reply-To`` if that message is in the thread,
else the nearest of its ``References`` that is; messages without one are roots. Siblings
(and roots) go by date. Each message gets a ``path``: its ancestors' and its own components
(epoch seconds and a digest of the Message-ID), so sorting by path is the depth-first order
and a message's path never changes when later replies arrive: the table's ThreadIndex sorts
by it and pages through a thread in order.
"""

from __future__ import annotations

import email
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from chalicelib.patches import lore
from chalicelib.patches.mailtext import (
    declared_charset,
    parsed_header,
    raw_values,
    text_body,
    unescape,
)

_MSGID = re.compile(r"<([^<>\s]+)>")
EXCERPT_CHARS = 400
# ThreadIndex sort keys are at most 1024 bytes: 15 per level keeps 64 levels; replies nested
# deeper are ordered as if they were at level 64 (kernel threads rarely pass 20).
MAX_DEPTH = 64
_ATTRIBUTION = re.compile(r"(wrote|writes|said):\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Message:
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    author_name: str
    author_email: str
    date: datetime
    subject: str
    body: str

    @property
    def timestamp(self) -> str:
        return self.date.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Malformed:
    message_id: str | None
    reason: str


def _message_ids(values: Iterable[str]) -> list[str]:
    return [found for value in values for found in _MSGID.findall(value)]


def _date(parsed: EmailMessage, charset: str | None) -> datetime | str:
    """The Date header in UTC, or what it said when it is no usable date."""
    raw = next(iter(raw_values(parsed, "Date", charset)), "")
    try:
        header = parsed_header(parsed, "Date", charset)
    # The registry's date parser raises these on hostile values (years past 9999, offsets
    # of days): the message is unusable, not the parser broken.
    except (ValueError, OverflowError, TypeError):
        return raw
    moment = getattr(header, "datetime", None)
    if not isinstance(moment, datetime):
        return raw
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_message(parsed: EmailMessage) -> Message | Malformed:
    """One parsed message, or why it is unusable. Headers are read as mail clients read
    them (``mailtext``); when In-Reply-To is given twice the first wins, and every
    References header counts, in order."""
    charset = declared_charset(parsed)
    ids = _message_ids(raw_values(parsed, "Message-ID", charset))
    if not ids:
        return Malformed(None, "no Message-ID")
    message_id = ids[0]
    moment = _date(parsed, charset)
    if not isinstance(moment, datetime):
        return Malformed(message_id, f"no usable Date ({moment[:60]!r})")
    sender = getattr(parsed_header(parsed, "From", charset), "addresses", ())
    if not sender or not sender[0].addr_spec:
        return Malformed(message_id, "no From address")
    replying_to = _message_ids(raw_values(parsed, "In-Reply-To", charset))
    subject = parsed_header(parsed, "Subject", charset)
    return Message(
        message_id=message_id,
        in_reply_to=replying_to[0] if replying_to else None,
        references=tuple(_message_ids(raw_values(parsed, "References", charset))),
        author_name=unescape(str(sender[0].display_name or ""), charset),
        author_email=unescape(str(sender[0].addr_spec), charset).lower(),
        date=moment,
        subject=" ".join(unescape(str(subject or ""), charset).split()),
        body=text_body(parsed),
    )


def parse_message(raw: bytes) -> Message | Malformed:
    """One raw message (RFC 5322 bytes), or why it is unusable; never raises."""
    try:
        return to_message(email.message_from_bytes(raw, policy=policy.default))
    # The email package's failure modes on hostile input are not a closed set (header
    # parsers, charset codecs, MIME walkers): any of them is one bad message, returned
    # with its reason, never the end of the thread.
    except Exception as err:
        return Malformed(None, f"unparseable: {type(err).__name__}: {err}")


def parse_mbox(data: bytes) -> tuple[list[Message], list[Malformed]]:
    """Every message of a lore thread mbox (mboxrd), and the unusable ones with their
    reasons."""
    messages: list[Message] = []
    malformed: list[Malformed] = []
    for raw in lore.messages(data):
        result = parse_message(raw)
        if isinstance(result, Malformed):
            malformed.append(result)
        else:
            messages.append(result)
    return messages, malformed


@dataclass(frozen=True)
class ThreadMessage:
    message: Message
    parent: str | None
    depth: int
    path: str


@dataclass(frozen=True)
class Thread:
    """A thread in depth-first order; ``thread_id`` is its earliest root's Message-ID."""

    thread_id: str
    messages: list[ThreadMessage]

    @property
    def last_activity(self) -> str:
        return max(m.message.timestamp for m in self.messages)


def _component(message: Message) -> str:
    seconds = max(int(message.date.timestamp()), 0)
    return f"{seconds:010d}{hashlib.sha1(message.message_id.encode()).hexdigest()[:4]}"


def _parent(message: Message, known: dict[str, Message]) -> str | None:
    for candidate in (message.in_reply_to, *reversed(message.references)):
        if candidate and candidate != message.message_id and candidate in known:
            return candidate
    return None


def build_thread(messages: Iterable[Message]) -> Thread:
    """Order ``messages`` as a thread (see the module's docstring). A Message-ID seen twice
    is kept once; a reference cycle is broken where it closes.

    Raises:
        ValueError: there is no message at all.
    """
    known: dict[str, Message] = {}
    for message in messages:
        known.setdefault(message.message_id, message)
    if not known:
        raise ValueError("a thread needs at least one message")
    parents = {mid: _parent(message, known) for mid, message in known.items()}
    for start in list(parents):  # break cycles: a message whose ancestry loops becomes a root
        seen = {start}
        current = parents[start]
        while current is not None:
            if current in seen:
                parents[start] = None
                break
            seen.add(current)
            current = parents[current]
    children: dict[str | None, list[Message]] = {}
    for mid, parent in parents.items():
        children.setdefault(parent, []).append(known[mid])
    ordered: list[ThreadMessage] = []
    pending: list[tuple[Message, str, int]] = [
        (m, "", 0) for m in sorted(children.get(None, []), key=_component, reverse=True)
    ]
    while pending:
        message, parent_path, depth = pending.pop()
        levels = parent_path.split("/")[: MAX_DEPTH - 1] if parent_path else []
        path = "/".join([*levels, _component(message)])
        ordered.append(ThreadMessage(message, parents[message.message_id], depth, path))
        pending.extend(
            (child, path, depth + 1)
            for child in sorted(children.get(message.message_id, []), key=_component, reverse=True)
        )
    return Thread(ordered[0].message.message_id, ordered)


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """What the author wrote: quoted lines (and the "X wrote:" line introducing them), the
    signature (after ``-- ``) and a patch's diff (after ``---`` or ``diff --git``) removed,
    whitespace collapsed, at most ``limit`` characters."""
    lines = body.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line.rstrip() == "--" or line == "-- " or stripped == "---":
            break
        if stripped.startswith("diff --git "):
            break
        if stripped.startswith(">"):
            continue
        following = next((n.strip() for n in lines[index + 1 :] if n.strip()), "")
        if _ATTRIBUTION.search(stripped) and following.startswith(">"):
            continue
        kept.append(stripped)
    text = " ".join(" ".join(kept).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # loads its lexicon: once per warm function


def sentiment(text: str) -> float:
    """VADER's compound score, -1 (negative) .. 1 (positive); 0 for no text."""
    if not text:
        return 0.0
    return round(float(_analyzer().polarity_scores(text)["compound"]), 4)
