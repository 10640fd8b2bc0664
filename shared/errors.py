"""Error types every app shares. Each area adds its own subclasses in its ``exceptions.py``."""

from __future__ import annotations


class FleetError(Exception):
    """Base of every error this repository raises on purpose."""


class ConfigurationError(FleetError):
    """The deployment is wrong (missing variable, malformed stored config): our fault, a 5xx."""


class TransientError(FleetError):
    """A dependency failed in a way that may pass: retry later (SQS redelivery, backoff)."""
