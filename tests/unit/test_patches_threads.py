"""Thread mboxes as lore serves them: parsed with the standard library, ordered depth-first,
linked to patches, excerpted and scored; malformed messages skipped with a reason."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from chalicelib.patches.discussions import discussion_records
from chalicelib.patches.threads import (
    MAX_DEPTH,
    Message,
    build_thread,
    excerpt,
    parse_mbox,
    sentiment,
)
from devstack.fakes.lore import mail, mboxrd

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ADA = ("Ada Lovelace", "Ada@Example.org")


def msgid(n: int) -> str:
    return f"m{n}@example.org"


def fifty_message_thread() -> tuple[list[bytes], dict[int, int | None]]:
    """A cover letter (0), three patches replying to it (1-3) and 46 replies: every third
    to the message before it (replies to replies), every fifth to an earlier branch, the
    rest to one of the patches.
    Returns the raw messages (shuffled, as an archive may hold them) and each one's parent."""
    parents: dict[int, int | None] = {0: None, 1: 0, 2: 0, 3: 0}
    for n in range(4, 50):
        if n % 3 == 0:
            parents[n] = n - 1
        elif n % 5 == 0:
            parents[n] = n // 2
        else:
            parents[n] = 1 + n % 3
    raw = []
    for n, parent in parents.items():
        chain: list[int] = []
        up = parent
        while up is not None:
            chain.insert(0, up)
            up = parents[up]
        raw.append(
            mail(
                msgid(n),
                f"Re: [PATCH 0/3] message {n}",
                ADA,
                START + timedelta(minutes=n),
                f"Message {n}.\n",
                msgid(parent) if parent is not None else None,
                tuple(msgid(c) for c in chain),
            )
        )
    random.Random(7).shuffle(raw)
    return raw, parents


def expected_order(parents: dict[int, int | None]) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for n, parent in parents.items():
        children.setdefault(parent, []).append(n)

    def walk(n: int) -> list[int]:
        return [n, *(m for child in sorted(children.get(n, [])) for m in walk(child))]

    return [m for root in sorted(children[None]) for m in walk(root)]


def test_a_fifty_message_thread_comes_back_depth_first_with_replies_to_replies() -> None:
    raw, parents = fifty_message_thread()

    messages, malformed = parse_mbox(mboxrd(raw))
    thread = build_thread(messages)

    assert malformed == []
    assert len(messages) == 50
    order = [int(m.message.message_id[1:].split("@")[0]) for m in thread.messages]
    assert order == expected_order(parents)
    assert thread.thread_id == msgid(0)
    by_id = {m.message.message_id: m for m in thread.messages}
    for n, parent in parents.items():
        placed = by_id[msgid(n)]
        assert placed.parent == (msgid(parent) if parent is not None else None)
        if parent is not None:
            assert placed.depth == by_id[msgid(parent)].depth + 1
            assert placed.path.startswith(by_id[msgid(parent)].path + "/")
    # Sorting by path (the ThreadIndex sort key) is the same depth-first order.
    assert sorted(thread.messages, key=lambda m: m.path) == thread.messages


def test_records_link_each_message_to_its_patch_through_its_ancestors() -> None:
    raw, parents = fifty_message_thread()
    thread = build_thread(parse_mbox(mboxrd(raw))[0])
    patch_of_msgid = {msgid(1): "101", msgid(2): "102", msgid(3): "103"}

    records = discussion_records(thread, "demo", patch_of_msgid)

    def patch_of(n: int) -> str | None:
        while n not in (0, 1, 2, 3):
            parent = parents[n]
            assert parent is not None
            n = parent
        return {1: "101", 2: "102", 3: "103"}.get(n)

    for record in records:
        n = int(record["id"][1:].split("@")[0])
        assert record.get("patch_id") == patch_of(n), n
        assert record["thread_id"] == msgid(0)
        assert record["author"] == {"name": "Ada Lovelace", "email": "ada@example.org"}
        assert record["author_key"] == "ada@example.org"
        assert record["timestamp"] == (START + timedelta(minutes=n)).isoformat().replace(
            "+00:00", "Z"
        )
    assert "patch_id" not in records[0]  # the cover letter is no patch


def test_malformed_messages_are_returned_with_their_reasons_not_raised() -> None:
    good = mail(msgid(1), "[PATCH] ok", ADA, START, "fine\n")
    no_id = b"From: a <a@example.org>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\nno id\n"
    no_date = b"From: a <a@example.org>\nMessage-ID: <d@example.org>\n\nno date\n"
    bad_date = b"From: a <a@example.org>\nMessage-ID: <e@example.org>\nDate: yesterday-ish\n\nx\n"
    no_sender = b"Message-ID: <f@example.org>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\nx\n"

    messages, malformed = parse_mbox(mboxrd([good, no_id, no_date, bad_date, no_sender]))

    assert [m.message_id for m in messages] == [msgid(1)]
    reasons = {m.message_id: m.reason for m in malformed}
    assert reasons[None] == "no Message-ID"
    assert reasons["d@example.org"].startswith("no usable Date")
    assert reasons["e@example.org"].startswith("no usable Date")
    assert reasons["f@example.org"] == "no From address"


def test_odd_encodings_are_decoded_rather_than_dropped() -> None:
    latin1 = (
        b"From: =?iso-8859-1?q?J=F6rg?= <j@example.org>\nMessage-ID: <l@example.org>\n"
        b"Date: Fri, 20 Nov 2026 09:00:00 +0100\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n\nSch\xf6n\n"
    )
    unknown = (
        b"From: k <k@example.org>\nMessage-ID: <u@example.org>\n"
        b"Date: Fri, 20 Nov 2026 09:00:00 +0000\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\n\nplain words\n"
    )

    messages, malformed = parse_mbox(mboxrd([latin1, unknown]))

    assert malformed == []
    first, second = messages
    assert (first.author_name, first.subject, first.body.strip()) == ("Jörg", "Grüße", "Schön")
    assert first.timestamp == "2026-11-20T08:00:00Z"  # UTC
    assert second.body.strip() == "plain words"


def test_a_reply_whose_parent_is_missing_is_a_root_and_cycles_are_broken() -> None:
    def message(n: int, parent: int | None, *references: int) -> Message:
        return Message(
            message_id=msgid(n),
            in_reply_to=msgid(parent) if parent is not None else None,
            references=tuple(msgid(r) for r in references),
            author_name="",
            author_email="a@example.org",
            date=START + timedelta(minutes=n),
            subject="",
            body="",
        )

    thread = build_thread(
        [message(3, 99), message(1, None), message(2, 1), message(4, 5), message(5, 4)]
    )

    roots = [m.message.message_id for m in thread.messages if m.parent is None]
    assert thread.thread_id == msgid(1)  # the earliest root
    assert roots[0] == msgid(1) and msgid(3) in roots
    assert len(thread.messages) == 5


def test_a_very_deep_thread_keeps_its_sort_keys_within_dynamodbs_limit() -> None:
    chain = [
        Message(msgid(n), msgid(n - 1) if n else None, (), "", "a@x.org", START, "", "")
        for n in range(MAX_DEPTH + 20)
    ]

    thread = build_thread(chain)

    assert max(len(m.path.encode()) for m in thread.messages) <= 1024
    assert [m.message.message_id for m in thread.messages] == [m.message_id for m in chain]


def test_an_excerpt_leaves_out_quotes_attribution_signature_and_diff() -> None:
    body = (
        "On Mon, Ada wrote:\n> quoted line\n>> older quote\n\n"
        "This looks wrong to me.\nPlease fix   the   locking.\n\n-- \nLinus\n"
    )
    patch = (
        "Make it faster.\n\nSigned-off-by: A <a@x.org>\n---\n a.c | 1 +\ndiff --git a/a.c b/a.c\n"
    )

    assert excerpt(body) == "This looks wrong to me. Please fix the locking."
    assert excerpt(patch) == "Make it faster. Signed-off-by: A <a@x.org>"
    assert len(excerpt("word " * 500)) == 400
    assert excerpt("word " * 500).endswith("…")


def test_sentiment_scores_praise_above_and_complaints_below_zero() -> None:
    assert sentiment("Great work, thanks! This looks good to me.") > 0.5
    assert sentiment("This is broken and wrong, a terrible regression.") < -0.5
    assert sentiment("") == 0.0


def test_mboxrd_quoting_is_undone_so_a_from_line_is_neither_escaped_nor_a_quote() -> None:
    body = "From my reading this is fine.\n>From a quoted mail\n> From a quote\nok\n"
    raw = mail(msgid(1), "Re: [PATCH] x", ADA, START, body)

    [message], _ = parse_mbox(mboxrd([raw]))

    assert message.body == body
    assert excerpt(message.body) == "From my reading this is fine. ok"


def test_raw_header_bytes_are_utf8_else_the_declared_charset_else_windows_1252() -> None:
    def raw(name: bytes, charset: bytes | None) -> bytes:
        content_type = b"Content-Type: text/plain; charset=" + charset + b"\n" if charset else b""
        return (
            b"From: " + name + b" <a@example.org>\nSubject: " + name + b"\n"
            b"Message-ID: <" + name.hex().encode() + b"@example.org>\n"
            b"Date: Fri, 20 Nov 2026 09:00:00 +0000\n" + content_type + b"\nbody\n"
        )

    cases = [
        (raw("Rafał".encode(), None), "Rafał"),
        (raw("Jörg".encode("iso-8859-15"), b"iso-8859-15"), "Jörg"),
        (raw("Jörg “J”".encode("windows-1252"), None), "Jörg “J”"),
        (raw("Jörg".encode("iso-8859-1"), b"x-no-such-charset"), "Jörg"),
    ]

    messages, malformed = parse_mbox(mboxrd([c for c, _ in cases]))

    assert malformed == []
    assert [(m.author_name, m.subject) for m in messages] == [(n, n) for _, n in cases]


def test_an_encoded_word_in_an_unknown_charset_leaves_no_surrogate() -> None:
    raw = (
        b"From: =?x-unknown?b?UmFmYcWCIE1pxYJlY2tp?= <r@example.org>\n"
        b"Subject: =?utf-8?q?Ren=E9?=\nMessage-ID: <w@example.org>\n"
        b"Date: Fri, 20 Nov 2026 09:00:00 +0000\n\nx\n"
    )

    [message], _ = parse_mbox(mboxrd([raw]))

    assert message.author_name == "Rafał Miłecki"  # its bytes are UTF-8
    assert message.subject.startswith("Ren")
    message.subject.encode("utf-8")
