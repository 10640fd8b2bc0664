"""The tags every taggable resource carries."""

from __future__ import annotations

from shared.names import PROJECT


def fleet_tags(stack: str, system: str) -> dict[str, str]:
    """``project``, ``stack`` and ``system``: who owns a resource, for cost and clean-up."""
    return {"project": PROJECT, "stack": stack, "system": system}
