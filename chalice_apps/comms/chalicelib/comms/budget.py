"""Time budgets that nest: every outside call fits, with all its attempts and the waits
between them, in what is left of the invocation, and leaves room to record the outcome.

Lambda ends an invocation at its timeout wherever it is: mid-call, or between a send and the
write that records it. So each call is planned against ``context.get_remaining_time_in_millis``
less a reserve: ``attempts x timeout + (attempts - 1) x longest wait <= time left``. When
the defaults do not fit, the call gets fewer attempts, then a shorter timeout; when not even
one useful attempt fits, nothing is called (``OutOfTimeError``: the message goes back to SQS,
nothing sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from shared.errors import TransientError

# Kept free after the last outside call: the conversation's final conditional write (boto3
# retries a throttled write for a few seconds) and the batch's answer to Lambda.
RESERVE_SECONDS: Final = 10.0
# A call given less than this is not worth making (a TLS handshake alone can take 1 s).
MIN_CALL_SECONDS: Final = 2.0


class OutOfTimeError(TransientError):
    """Too little of the invocation is left for the call: it was not made."""


@dataclass(frozen=True)
class CallPlan:
    """How one call is made: at most ``attempts`` tries of ``timeout_seconds`` each."""

    timeout_seconds: float
    attempts: int


@dataclass(frozen=True)
class Budget:
    """What is left of one invocation (``seconds_left``), less ``reserve_seconds``."""

    seconds_left: Callable[[], float]
    reserve_seconds: float = RESERVE_SECONDS

    @classmethod
    def of_invocation(cls, context: Any) -> Budget:
        """The budget of the Lambda invocation ``context`` belongs to."""
        return cls(lambda: context.get_remaining_time_in_millis() / 1000)

    def keeping(self, seconds: float) -> Budget:
        """This budget with ``seconds`` more set aside (for the calls that must come after)."""
        return replace(self, reserve_seconds=self.reserve_seconds + seconds)

    def available(self) -> float:
        return max(self.seconds_left() - self.reserve_seconds, 0.0)

    def plan(self, what: str, timeout: float, attempts: int, longest_wait: float) -> CallPlan:
        """The most attempts (up to ``attempts``) whose timeout, up to ``timeout``, is at
        least half of it (or ``MIN_CALL_SECONDS``, the larger) and whose total fits; else one
        attempt with what is left.

        Raises:
            OutOfTimeError: not even ``MIN_CALL_SECONDS`` is left for ``what``.
        """
        left = self.available()
        useful = max(timeout / 2, MIN_CALL_SECONDS)
        for tries in range(attempts, 0, -1):
            each = min(timeout, (left - (tries - 1) * longest_wait) / tries)
            if each >= useful:
                return CallPlan(each, tries)
        if left >= MIN_CALL_SECONDS:
            return CallPlan(min(timeout, left), 1)
        raise OutOfTimeError(
            f"{left:.1f} s left of the invocation (after {self.reserve_seconds:g} s kept for "
            f"what must follow): too little for {what}; not called"
        )
