"""Faults a fake answers with, set from the test that owns it or, over HTTP, by an operator
rehearsing an outage on a running stack (``POST <fake>/_faults``).

Why by hand: the fakes are ours, and so is the question "what does the next matching call
get"; no library holds faults for a Flask app.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Where each fake takes faults: a path no real API of theirs uses.
CONTROL_PATH = "/_faults"

# What a matching request gets: the fault's answer instead of the real one ("answer"), or
# the real work done and then the connection closed with no answer at all
# ("drop_after_handling"): the answer lost on the way back, so the caller cannot tell
# whether its request took effect (a message sent, a mail accepted).
Action = Literal["answer", "drop_after_handling"]
ANSWER: Action = "answer"
DROP_AFTER_HANDLING: Action = "drop_after_handling"


@dataclass
class Fault:
    """What a matching request gets instead of a normal answer (a delay with status 200
    just slows the real answer down; ``action="drop_after_handling"`` does the work, after
    the delay, and closes the connection without answering). With ``after_bytes`` the
    request's body is cut short: the fake handles the request as if only that many bytes
    had arrived (an upload keeps them), then answers the fault, or nothing at all with
    ``drop_after_handling``."""

    path_contains: str
    status: int = 500
    body: dict[str, Any] = field(default_factory=lambda: {"error": "injected fault"})
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    action: Action = ANSWER
    after_bytes: int | None = None


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None  # matching requests left; None: until the deadline
    until: float | None  # time.monotonic() after which it is gone


class FaultRequest(BaseModel):
    """The body of ``POST /_faults``: a fault, for ``times`` requests or ``seconds``."""

    model_config = ConfigDict(extra="forbid")

    path_contains: str = ""
    status: int = Field(default=500, ge=200, le=599)
    body: dict[str, Any] = Field(default_factory=lambda: {"error": "injected fault"})
    headers: dict[str, str] = Field(default_factory=dict)
    delay_seconds: float = Field(default=0.0, ge=0, le=300)
    times: int | None = Field(default=None, ge=1, le=100_000)
    seconds: float | None = Field(default=None, gt=0, le=86_400)
    action: Action = ANSWER
    after_bytes: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_duration(self) -> FaultRequest:
        if self.times is not None and self.seconds is not None:
            raise ValueError("give times or seconds, not both")
        return self

    def fault(self) -> Fault:
        return Fault(
            self.path_contains,
            self.status,
            self.body,
            self.delay_seconds,
            self.headers,
            self.action,
            self.after_bytes,
        )


class Faults:
    """The armed faults of one fake, safe across its request threads."""

    def __init__(self) -> None:
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault, times: int | None = 1, seconds: float | None = None) -> None:
        """Arm ``fault`` for the next ``times`` matching requests, or for every one in the
        next ``seconds``."""
        until = time.monotonic() + seconds if seconds is not None else None
        with self._lock:
            self._armed.append(_Armed(fault, None if seconds is not None else times, until))

    def take(self, path: str) -> Fault | None:
        """The fault for a request to ``path``, if one is armed (and count it)."""
        now = time.monotonic()
        with self._lock:
            self._armed = [a for a in self._armed if a.until is None or a.until > now]
            for armed in self._armed:
                if armed.fault.path_contains in path:
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining <= 0:
                            self._armed.remove(armed)
                    return armed.fault
        return None

    def clear(self) -> int:
        """Disarm every fault; returns how many there were."""
        with self._lock:
            count, self._armed = len(self._armed), []
        return count

    def listing(self) -> list[dict[str, Any]]:
        """The armed faults, as ``GET /_faults`` shows them."""
        now = time.monotonic()
        with self._lock:
            return [
                asdict(a.fault)
                | {
                    "times_left": a.remaining,
                    "seconds_left": None if a.until is None else round(a.until - now, 1),
                }
                for a in self._armed
                if a.until is None or a.until > now
            ]
