"""How the platform names things; each system's own names are in its
``chalicelib/<system>/names.py``.

Infra builds physical names from a system's bases with ``physical``; the apps receive the
physical names through environment variables; tests read both from the same modules.
"""

from __future__ import annotations

from typing import Final

PROJECT: Final = "serverless-fleet"


def physical(base: str, stack: str) -> str:
    """Name a resource for one stack: ``physical("company-data", "dev") == "company-data-dev"``."""
    return f"{base}-{stack}"
