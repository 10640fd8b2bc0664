"""Size of each app's ``deployment.zip`` against a bare Chalice app, measured in one run.

The baseline is an app with one route and no requirements, packaged the same way
(``infra.packaging.package_app``: shared/ vendored, ``chalice package``), so the ratio is what
an app's own code and its lock add. Per app: zip bytes, unpacked bytes, file count, and the
five largest top-level entries of the zip by unpacked size (what to look at first when a zip
nears Lambda's limits: 50 MiB zipped for a direct upload, 250 MiB unzipped).

Run with ``make bench`` (after ``make package``, which builds ``build/<app>/``).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from infra.packaging import BUILD_DIR, PACKAGE_STAGE, app_names, package_app

BARE_APP = """from chalice import Chalice

app = Chalice(app_name="bare")


@app.route("/ping")
def ping() -> dict[str, str]:
    return {"status": "success"}
"""
BARE_CONFIG = {
    "version": "2.0",
    "app_name": "bare",
    "stages": {PACKAGE_STAGE: {"api_gateway_stage": "api"}},
}
LARGEST = 5


@dataclass(frozen=True)
class ZipSize:
    """What one deployment package weighs."""

    zipped: int
    unpacked: int
    files: int
    top_level: Counter[str]


def measure(package: Path) -> ZipSize:
    """Sizes read from the zip's directory: no extraction."""
    top_level: Counter[str] = Counter()
    with zipfile.ZipFile(package) as archive:
        entries = [e for e in archive.infolist() if not e.is_dir()]
    for entry in entries:
        top_level[entry.filename.split("/")[0]] += entry.file_size
    return ZipSize(package.stat().st_size, sum(top_level.values()), len(entries), top_level)


def bare_baseline() -> ZipSize:
    """Package the bare app in a temporary folder and measure it."""
    with tempfile.TemporaryDirectory() as tmp:
        app_dir = Path(tmp) / "apps" / "bare"
        (app_dir / ".chalice").mkdir(parents=True)
        (app_dir / "app.py").write_text(BARE_APP)
        (app_dir / ".chalice" / "config.json").write_text(json.dumps(BARE_CONFIG))
        out = package_app("bare", build_dir=Path(tmp) / "build", apps_dir=app_dir.parent)
        return measure(out / "deployment.zip")


def main() -> None:
    bare = bare_baseline()
    sizes = {app: measure(BUILD_DIR / app / "deployment.zip") for app in app_names()}
    print("deployment.zip per app, against a bare Chalice app (one route) packaged the same way")
    header = f"{'app':<10} {'zip bytes':>12} {'unpacked':>12} {'files':>6}"
    print(f"  {header}   zip / bare  unpacked / bare")
    for name, size in {"bare": bare, **sizes}.items():
        ratios = (
            f"{size.zipped / bare.zipped:8.1f}x {size.unpacked / bare.unpacked:14.1f}x"
            if name != "bare"
            else ""
        )
        row = f"{name:<10} {size.zipped:>12,} {size.unpacked:>12,} {size.files:>6}"
        print(f"  {row}   {ratios}".rstrip())
    for app, size in sizes.items():
        largest = ", ".join(
            f"{entry} {count / 2**20:.1f}" for entry, count in size.top_level.most_common(LARGEST)
        )
        print(f"  {app} largest (MiB unpacked): {largest}")


if __name__ == "__main__":
    main()
