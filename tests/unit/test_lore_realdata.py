"""Real lore threads and Patchwork's test mails (``../shared/realdata/lore/``, read in
place): every message stored with the parent, order, author, date and unescaped body the raw
headers and lines give, and every hostile mail parsed or refused with a reason, never with a
surrogate escape left in what would be stored.

The expectations are computed from the raw bytes with other tools than the code under test
(a separator regex instead of ``mailbox``, ``email.utils`` and ``email.header``'s legacy
decoders instead of the header registry), plus the shape of each thread checked by hand.
"""

from __future__ import annotations

import re
from datetime import UTC
from email.header import decode_header, make_header
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

import pytest

from chalicelib.patches.discussions import discussion_records
from chalicelib.patches.threads import (
    Malformed,
    Message,
    build_thread,
    excerpt,
    parse_mbox,
    parse_message,
)

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "lore"

# Depth of each message in thread order, read off the In-Reply-To headers by hand.
THREAD_DEPTHS = {
    "it87-wdt-early-reboot.mbox": [0, 1, 2, 3, 2, 3, 2, 3, 4],
    "lkml-duplicate-in-reply-to.mbox": [0, 1, 2, 2, 2],
    "turris-omnia-mcu-v9.mbox": [0, 1, 2, 3, 1, 2, 1, 2],
    "watchdog-rfc-system-reset.mbox": [0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 9],
}
AUTHORS = {
    "it87-wdt-early-reboot.mbox": {"René Rebe", "Guenter Roeck"},
    "lkml-duplicate-in-reply-to.mbox": {"Viresh Kumar"},
    "turris-omnia-mcu-v9.mbox": {"Marek Behún", "Andy Shevchenko"},
    "watchdog-rfc-system-reset.mbox": {"Uwe Kleine-König", "Guenter Roeck", "Ahmad Fatoum"},
}
_SEPARATOR = re.compile(rb"^From \S+ +\w{3} \w{3} +\d+ [\d:]+ \d{4}\n", re.MULTILINE)
_ID = re.compile(r"<([^<>\s]+)>")


def raw_messages(path: Path) -> list[bytes]:
    return [part for part in _SEPARATOR.split(path.read_bytes()) if part.strip()]


def raw_headers(raw: bytes) -> dict[str, list[str]]:
    head = raw.partition(b"\n\n")[0].decode("utf-8", "replace")
    unfolded = re.sub(r"\n[ \t]+", " ", head)
    headers: dict[str, list[str]] = {}
    for line in unfolded.splitlines():
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers


def expected_parent(headers: dict[str, list[str]], in_thread: set[str]) -> str | None:
    """The first In-Reply-To when the thread holds it, else the last reference it holds."""
    replying: list[str] = [i for v in headers.get("in-reply-to", []) for i in _ID.findall(v)]
    if replying and replying[0] in in_thread:
        return replying[0]
    references: list[str] = [i for v in headers.get("references", []) for i in _ID.findall(v)]
    return next((r for r in reversed(references) if r in in_thread), None)


def has_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


@pytest.mark.parametrize("name", sorted(THREAD_DEPTHS))
def test_every_message_of_a_real_thread_is_stored_as_its_headers_say(name: str) -> None:
    raws = raw_messages(REALDATA / name)
    expected = {}
    for raw in raws:
        headers = raw_headers(raw)
        message_id = _ID.findall(headers["message-id"][0])[0]
        author, address = parseaddr(str(make_header(decode_header(headers["from"][0]))))
        expected[message_id] = (headers, author, address.lower())
    in_thread = set(expected)

    messages, malformed = parse_mbox((REALDATA / name).read_bytes())
    thread = build_thread(messages)
    records = discussion_records(thread, "linux-watchdog", {})

    assert malformed == []
    assert len(records) == len(raws)
    assert [m.depth for m in thread.messages] == THREAD_DEPTHS[name]
    assert {r["author"]["name"] for r in records} == AUTHORS[name]
    path_of = {r["id"]: r["thread_path"] for r in records}
    order = [r["id"] for r in records]
    for placed, record in zip(thread.messages, records, strict=True):
        headers, author, address = expected[record["id"]]
        parent = expected_parent(headers, in_thread)
        assert placed.parent == parent, record["id"]
        if parent is not None:
            assert order.index(parent) < order.index(record["id"])
            assert record["thread_path"].rsplit("/", 1)[0] == path_of[parent]
        else:
            assert "/" not in record["thread_path"]
        moment = parsedate_to_datetime(headers["date"][0]).astimezone(UTC)
        assert record["timestamp"] == moment.isoformat().replace("+00:00", "Z")
        assert record["author"] == {"name": author, "email": address}
        for field in (record["author"]["name"], record["subject"], record["body"]):
            assert not has_surrogates(field), record["id"]
    # Depth-first with siblings by date: the ThreadIndex order is the thread order.
    assert sorted(records, key=lambda r: r["thread_path"]) == records
    assert thread.thread_id == order[0]


@pytest.mark.parametrize("name", sorted(THREAD_DEPTHS))
def test_mboxrd_quoting_is_undone_in_every_body(name: str) -> None:
    raws = raw_messages(REALDATA / name)
    escaped = {
        _ID.findall(raw_headers(raw)["message-id"][0])[0]: [
            line.decode("utf-8", "replace")[1:]
            for line in raw.partition(b"\n\n")[2].splitlines()
            if re.match(rb">+From ", line)
        ]
        for raw in raws
    }
    mboxrd = name != "lkml-duplicate-in-reply-to.mbox"  # Patchwork's file is plain mbox

    messages, _ = parse_mbox((REALDATA / name).read_bytes())

    for message in messages:
        lines = message.body.splitlines()
        for unescaped in escaped[message.message_id] if mboxrd else []:
            assert unescaped in lines, (message.message_id, unescaped)
            assert ">" + unescaped not in lines


def test_a_reply_line_starting_with_from_is_kept_in_the_excerpt() -> None:
    messages, _ = parse_mbox((REALDATA / "turris-omnia-mcu-v9.mbox").read_bytes())
    [reply] = [m for m in messages if "\nFrom GPIO implementation perspective" in m.body]

    assert reply.author_name == "Andy Shevchenko"
    assert "From GPIO implementation perspective, it's good enough" in excerpt(reply.body)


def test_bodies_in_windows_1252_and_latin1_are_decoded_with_their_charsets() -> None:
    messages, _ = parse_mbox((REALDATA / "watchdog-rfc-system-reset.mbox").read_bytes())

    bodies = "\n".join(m.body for m in messages)
    assert "\ufffd" not in bodies
    assert "Kleine-König" in bodies  # the signature, in the iso-8859-1 messages


def parse_file(path: Path) -> list[Message | Malformed]:
    """Patchwork's test mails are an mbox or one bare message."""
    raw = path.read_bytes()
    if not raw.startswith(b"From "):
        return [parse_message(raw)]
    messages, malformed = parse_mbox(raw)
    return [*messages, *malformed]


def stored_strings(result: Message | Malformed) -> list[str]:
    if isinstance(result, Malformed):
        return [result.message_id or "", result.reason]
    return [
        result.message_id,
        result.in_reply_to or "",
        *result.references,
        result.author_name,
        result.author_email,
        result.subject,
        result.body,
    ]


@pytest.mark.parametrize(
    "path",
    sorted((REALDATA / "patchwork-mail").glob("*.mbox")) or [REALDATA / "patchwork-mail"],
    ids=lambda p: p.name,
)
def test_patchwork_test_mails_parse_or_are_refused_and_leave_no_surrogate(path: Path) -> None:
    results = parse_file(path)

    assert results
    for result in results:
        for text in stored_strings(result):
            assert not has_surrogates(text), (path.name, text[:80])
            text.encode("utf-8")  # what DynamoDB would store


@pytest.mark.parametrize(
    "name",
    [
        "mail-0013-with-utf8-body.mbox",  # RFC 2047 name
        "mail-0014-with-unencoded-utf8-headers.mbox",  # raw UTF-8 name and subject
        "mail-0015-with-invalid-utf8-headers.mbox",
    ],
)
def test_a_name_is_decoded_whether_encoded_or_raw_utf8(name: str) -> None:
    results = parse_file(REALDATA / "patchwork-mail" / name)

    [message] = results
    assert isinstance(message, Message)
    assert message.author_name == "Rafał Miłecki"
    assert message.subject.startswith("MAINTAINERS: Update entry for BCM5301X ARM")
    if "unencoded" in name:
        assert message.subject.endswith("to include Rafał Miłecki")


def test_a_date_out_of_any_calendar_is_a_reason_not_a_crash() -> None:
    results = parse_file(REALDATA / "patchwork-mail" / "fuzz-date-too-long.mbox")

    assert all(isinstance(r, Malformed) for r in results)
    assert any(r.reason.startswith("no usable Date") for r in results if isinstance(r, Malformed))
