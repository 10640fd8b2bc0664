"""Faults armed on a fake: by count (consumed in order) or for a time (every match)."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from devstack.fakes.faults import Fault, FaultRequest, Faults


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


def test_a_drop_after_handling_is_armed_over_http_and_listed_with_its_action() -> None:
    wanted = FaultRequest.model_validate(
        {"path_contains": "/Messages", "action": "drop_after_handling", "times": 2}
    )
    faults = Faults()
    faults.add(wanted.fault(), times=wanted.times)

    (listed,) = faults.listing()
    assert (listed["action"], listed["times_left"]) == ("drop_after_handling", 2)
    taken = [faults.take("/2010-04-01/Accounts/AC1/Messages.json") for _ in range(3)]
    assert [f.action if f else None for f in taken] == [
        "drop_after_handling",
        "drop_after_handling",
        None,
    ]


def test_a_fault_answers_unless_told_otherwise_and_refuses_an_unknown_action() -> None:
    assert FaultRequest.model_validate({"path_contains": "/x"}).fault().action == "answer"
    with pytest.raises(ValidationError):
        FaultRequest.model_validate({"path_contains": "/x", "action": "explode"})
