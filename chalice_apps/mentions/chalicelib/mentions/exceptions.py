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


class LeaseLostError(FleetError):
    """Another run took over a lease this run held (this one overran it): stop, write nothing."""


class IngestionFailedError(FleetError):
    """Some projects could not be ingested; raised after the others were, so the function
    fails visibly (Errors alarm) and EventBridge's asynchronous retries run it again."""


class BackfillBusyError(FleetError):
    """Another copy of the same backfill holds its lease."""
