"""What can go wrong talking to MentionMind, by what the caller should do about it."""

from __future__ import annotations

from shared.errors import FleetError, TransientError


class MentionMindError(FleetError):
    """Base of the client's errors."""


class AuthenticationError(MentionMindError):
    """The API key was refused, or a fresh session was refused too: an operator's fix."""


class RequestRejectedError(MentionMindError):
    """A 4xx other than 401/429: our request is wrong; retrying will not help."""


class MentionMindUnavailableError(MentionMindError, TransientError):
    """5xx, 429 or network failures that outlasted the retries: fail the run, try later."""
