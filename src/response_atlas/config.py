"""Settings in one place: paths, thresholds and roles, from environment variables.

Environment variables (all optional):
- ``ATLAS_DATA_DIR``: the data folder with extracts and snapshots (default ``<project>/data``).
- ``ATLAS_SUPPRESS_BELOW``: counts from 1 up to this value are suppressed in public views (10).
- ``ATLAS_KEEP_SNAPSHOTS``: how many snapshots a refresh keeps (5).
- ``ATLAS_TILES``: a basemap tile URL; empty (default) means a plain background that works offline.
- ``ATLAS_ALLOW_CDN``: ``1`` lets the maps load Leaflet from public CDNs when the copies shipped in
  ``static/vendor/`` are missing (off by default: then the map area says the files are missing).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]
# The folder holding app.py: the checkout when run from one (editable install, PYTHONPATH=src);
# after a plain `pip install .` the package lives in site-packages, and the app is started with
# `streamlit run app.py` from the checkout, so the working folder is the project.
PROJECT_ROOT = _CHECKOUT if (_CHECKOUT / "app.py").is_file() else Path.cwd()
_TRUE = frozenset({"1", "true", "yes", "on"})
TIMEZONE = "America/New_York"
# Ohio State Plane South (US feet): distances and point-in-polygon run in a projected CRS.
PROJECTED_CRS = "EPSG:3735"
GEOGRAPHIC_CRS = "EPSG:4326"
H3_FINE = 9
H3_COARSE = 7


@dataclass(frozen=True)
class Settings:
    """Run-time settings; build with :func:`load_settings`."""

    data_dir: Path
    suppress_below: int = 10
    keep_snapshots: int = 5
    tiles: str = ""
    staff_roles: tuple[str, ...] = field(default=("staff",))

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


def load_settings(data_dir: str | Path | None = None) -> Settings:
    """Read settings from the environment; ``data_dir`` overrides ``ATLAS_DATA_DIR``."""
    chosen = data_dir or os.environ.get("ATLAS_DATA_DIR") or PROJECT_ROOT / "data"
    return Settings(
        data_dir=Path(chosen).resolve(),
        suppress_below=int(os.environ.get("ATLAS_SUPPRESS_BELOW", "10")),
        keep_snapshots=int(os.environ.get("ATLAS_KEEP_SNAPSHOTS", "5")),
        tiles=os.environ.get("ATLAS_TILES", ""),
    )


def cdn_allowed() -> bool:
    """``ATLAS_ALLOW_CDN`` is set to 1/true/yes/on: an explicit opt-in, never a default."""
    return os.environ.get("ATLAS_ALLOW_CDN", "").strip().lower() in _TRUE
