"""patches on the local stack: fakes of Patchwork and lore holding a demo project for each
project the program tells the fetchers to track (three series and three single patches, 21
patches in all, dated in the last hours so the first hourly run takes them; their threads
with nested replies, and one malformed message).

With ``PATCHWORK_URL`` (or ``LORE_URL``) set in ``make dev``'s environment that service is
called for real instead: no fake is started, and the functions, which inherit the stack's
environment, read the URL given (``https://patchwork.kernel.org``, ``https://lore.kernel.org``).
The projects are then the stack's ``patches.projects`` (``--set
serverless-fleet:patches='{"projects": [...]}'``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.patches.env import LORE_URL, PATCHWORK_PROJECTS, PATCHWORK_URL
from devstack.declaration import Declaration
from devstack.fakes.lore import FakeLore, mail
from devstack.fakes.patchwork import FakePatchwork, patchwork_patch
from devstack.profiles import Fake, FakeContext, Profile

SUBMITTERS = (("Ada Lovelace", "ada@example.org"), ("Grace Hopper", "grace@example.org"))
REVIEWERS = (("Linus Reviewer", "linus@example.org"), ("Shuah Maintainer", "shuah@example.org"))
# (series id, title, version, patches, state)
SERIES = (
    (501, "selftests/net: cover the new socket options", 2, 8, "new"),
    (502, "kselftest/arm64: check the signal frame layout", 1, 6, "under-review"),
    (503, "selftests/bpf: tidy the verifier tests", 1, 4, "changes-requested"),
)
SINGLES = 3


@dataclass
class DemoProject:
    """A project as both services hold it: patches (Patchwork's list view) and threads."""

    patches: list[dict[str, Any]] = field(default_factory=list)
    threads: list[list[bytes]] = field(default_factory=list)


def _msgid(project: str, *parts: object) -> str:
    return f"{'.'.join(str(p) for p in parts)}@{project}.demo.example.org"


def _patch_body(subject: str) -> str:
    return (
        f"{subject}: this change makes the test deterministic.\n\n"
        "Signed-off-by: Ada Lovelace <ada@example.org>\n---\n"
        " tools/testing/selftests/demo.c | 2 +-\n\n"
        "diff --git a/tools/testing/selftests/demo.c b/tools/testing/selftests/demo.c\n"
        "--- a/tools/testing/selftests/demo.c\n+++ b/tools/testing/selftests/demo.c\n"
        "@@ -1 +1 @@\n-int x;\n+int x = 0;\n"
    )


def _reply(text: str, quoting: str, who: str) -> str:
    return f"On Mon, {who} wrote:\n> {quoting}\n\n{text}\n\n-- \n{who}\n"


def malformed_message(message_id: str, in_reply_to: str) -> bytes:
    """A reply without a Date header: lore has a few; the thread worker must skip it."""
    return (
        f"From: Broken Client <broken@example.org>\nSubject: Re: broken\n"
        f"Message-ID: <{message_id}>\nIn-Reply-To: <{in_reply_to}>\n\nno date here\n"
    ).encode()


def _series(
    demo: DemoProject,
    project: str,
    spec: tuple[int, str, int, int, str],
    start: datetime,
    next_id: int,
    with_malformed: bool,
) -> int:
    series_id, title, version, count, state = spec
    submitter = SUBMITTERS[series_id % 2]
    cover = _msgid(project, series_id, 0)
    thread = [mail(cover, f"[PATCH v{version} 0/{count}] {title}", submitter, start, f"{title}.\n")]
    for n in range(1, count + 1):
        subject = f"[PATCH v{version} {n}/{count}] {title} ({n})"
        msgid = _msgid(project, series_id, n)
        date = start + timedelta(seconds=n)
        demo.patches.append(
            patchwork_patch(
                next_id,
                project,
                subject,
                date,
                msgid,
                submitter,
                state,
                (series_id, title, version),
            )
        )
        next_id += 1
        thread.append(mail(msgid, subject, submitter, date, _patch_body(subject), cover, (cover,)))
    # Nested review of patch 1: a review, the author's answer, the reviewer's ack.
    first = _msgid(project, series_id, 1)
    review, answer, ack = (_msgid(project, series_id, 1, tag) for tag in ("r", "a", "k"))
    reviewer = REVIEWERS[series_id % 2]
    reply_to = f"Re: [PATCH v{version} 1/{count}] {title} (1)"
    thread += [
        mail(
            review,
            reply_to,
            reviewer,
            start + timedelta(minutes=10),
            _reply("This is wrong and breaks the build on arm64.", "int x = 0;", reviewer[0]),
            first,
            (cover, first),
        ),
        mail(
            answer,
            reply_to,
            submitter,
            start + timedelta(minutes=20),
            _reply("Good catch, thanks! Fixed in the next version.", "breaks", submitter[0]),
            review,
            (cover, first, review),
        ),
        mail(
            ack,
            reply_to,
            reviewer,
            start + timedelta(minutes=30),
            "Great, looks good to me.\n\nReviewed-by: Linus Reviewer <linus@example.org>\n",
            answer,
            (cover, first, review, answer),
        ),
        mail(
            _msgid(project, series_id, 0, "t"),
            f"Re: [PATCH v{version} 0/{count}] {title}",
            REVIEWERS[(series_id + 1) % 2],
            start + timedelta(minutes=40),
            "Thanks, the series looks useful overall.\n",
            cover,
            (cover,),
        ),
    ]
    if with_malformed:
        thread.append(malformed_message(_msgid(project, series_id, 1, "x"), first))
    demo.threads.append(thread)
    return next_id


def demo_project(project: str, now: datetime, first_id: int = 1001) -> DemoProject:
    """The same demo for the same ``project`` and ``now``: both fakes build it apart."""
    demo = DemoProject()
    next_id = first_id
    for index, spec in enumerate(SERIES):
        start = now - timedelta(hours=3 * (len(SERIES) - index), minutes=5)
        next_id = _series(demo, project, spec, start, next_id, with_malformed=index == 0)
    for n in range(SINGLES):
        date = now - timedelta(minutes=50 - 10 * n)
        msgid = _msgid(project, "single", n)
        subject = f"[PATCH] selftests: fix typo number {n}"
        submitter = SUBMITTERS[n % 2]
        demo.patches.append(
            patchwork_patch(
                next_id, project, subject, date, msgid, submitter, "accepted" if n == 0 else "new"
            )
        )
        next_id += 1
        reply = _msgid(project, "single", n, "r")
        demo.threads.append(
            [
                mail(msgid, subject, submitter, date, _patch_body(subject)),
                mail(
                    reply,
                    f"Re: {subject}",
                    REVIEWERS[n % 2],
                    date + timedelta(minutes=5),
                    _reply("Applied, thanks.", "typo", REVIEWERS[n % 2][0]),
                    msgid,
                    (msgid,),
                ),
            ]
        )
    return demo


def tracked_projects(mocks: Declaration) -> list[str]:
    """The Patchwork projects the program tells its functions to track."""
    return sorted(
        {
            project
            for function in mocks.of_type("aws:lambda/function:Function")
            for project in json.loads(
                function.inputs["environment"]["variables"].get(PATCHWORK_PROJECTS, "[]")
            )
        }
    )


def fake_patchwork(context: FakeContext) -> FakePatchwork:
    fake = FakePatchwork()
    first_id = 1001
    for project in tracked_projects(context.mocks):
        demo = demo_project(project, context.now, first_id)
        fake.add(demo.patches)
        first_id += len(demo.patches)
    return fake


def fake_lore(context: FakeContext) -> FakeLore:
    fake = FakeLore()
    for project in tracked_projects(context.mocks):
        for thread in demo_project(project, context.now).threads:
            fake.add_thread(thread)
    return fake


PROFILE = Profile(
    system="patches",
    fakes=(
        Fake(
            name="patchwork",
            build=fake_patchwork,
            variable=PATCHWORK_URL,
            real_variables=(PATCHWORK_URL,),
        ),
        Fake(name="lore", build=fake_lore, variable=LORE_URL, real_variables=(LORE_URL,)),
    ),
)
