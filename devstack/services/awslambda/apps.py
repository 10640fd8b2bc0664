"""Import a Chalice app's ``app.py`` under a unique module name.

Every app has an ``app.py`` and a ``chalicelib/`` folder; ``chalicelib`` is a namespace
package (one sub-package per app) so several apps import side by side, and ``app.py`` is
loaded here as ``<name>_app`` so they do not shadow each other.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from infra.registry import APPS_DIR


def load_app(name: str, apps_dir: Path = APPS_DIR) -> ModuleType:
    """The module of ``<apps_dir>/<name>/app.py`` (its ``app`` attribute is the Chalice app).

    Imported once per process; the environment it reads is read lazily at request time.
    """
    module_name = f"{name}_app"
    if module_name in sys.modules:
        return sys.modules[module_name]
    folder = apps_dir / name
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(module_name, folder / "app.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no Chalice app at {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
