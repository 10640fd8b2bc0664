"""Operator commands (``python -m ops.<system> ...``), run from a checkout against a stack.

They reuse the apps' own logic, so the apps' folders go on the import path here, once, as
the Lambda runtime puts the package root on it.
"""

from __future__ import annotations

import sys
from pathlib import Path

for _app in sorted((Path(__file__).resolve().parent.parent / "chalice_apps").iterdir()):
    if (_app / "chalicelib").is_dir() and str(_app) not in sys.path:
        sys.path.append(str(_app))
