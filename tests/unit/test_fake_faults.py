"""Faults armed on a fake: by count (consumed in order) or for a time (every match)."""

from __future__ import annotations

import time

from devstack.fakes.faults import Fault, Faults


def test_a_counted_fault_answers_that_many_matching_requests_then_is_gone() -> None:
    faults = Faults()
    faults.add(Fault("/Messages", status=503), times=2)

    assert faults.take("/Accounts/AC1/Calls.json") is None
    assert [faults.take("/Messages.json") is not None for _ in range(3)] == [True, True, False]


def test_faults_are_taken_in_the_order_they_were_armed() -> None:
    faults = Faults()
    faults.add(Fault("/v1/", status=429))
    faults.add(Fault("/v1/", status=500))

    taken = [faults.take("/v1/responses"), faults.take("/v1/responses")]
    assert [f.status for f in taken if f] == [429, 500]


def test_a_timed_fault_answers_every_match_until_its_deadline() -> None:
    faults = Faults()
    faults.add(Fault("", status=429), seconds=0.3)

    assert all(faults.take(f"/x/{n}") is not None for n in range(50))
    assert faults.listing()[0]["times_left"] is None
    time.sleep(0.35)
    assert faults.take("/x") is None
    assert faults.listing() == []


def test_clearing_disarms_everything() -> None:
    faults = Faults()
    faults.add(Fault("/a"), times=5)
    faults.add(Fault("/b"), seconds=60)

    assert faults.clear() == 2
    assert faults.take("/a") is None and faults.take("/b") is None
