"""Operator commands (``python -m ops.<system> ...``), run from a checkout against a stack.

They reuse the apps' own logic, so every system's app folder goes on the import path here,
once, as the Lambda runtime puts the package root on it.
"""

from __future__ import annotations

from infra.registry import add_app_paths

add_app_paths()
