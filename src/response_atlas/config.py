"""Settings in one place: paths, thresholds and roles, from environment variables.

Environment variables (all optional):
- ``ATLAS_DATA_DIR``: the data folder with extracts and snapshots (default ``<project>/data``).
- ``ATLAS_SUPPRESS_BELOW``: counts from 1 up to this value are suppressed in public views (10).
- ``ATLAS_KEEP_SNAPSHOTS``: how many snapshots a refresh keeps (5).
- ``ATLAS_EARLIEST_CALL``: calls received before this date (``YYYY-MM-DD``, default 1990-01-01)
  are rejected by a refresh as implausible (``ingest/call_checks.py``).
- ``ATLAS_TILES``: a basemap tile URL; empty (default) means a plain background that works offline.

Deployment (see deploy/README.md):
- ``ATLAS_PUBLIC_ONLY``: ``1`` for a public process: no staff page and no sign-in exist in it, even
  when staff accounts are configured.
- ``ATLAS_AUTH_SECRET``: the key that signs staff sign-in cookies (else ``[atlas] cookie_secret``
  in ``.streamlit/secrets.toml``).
- ``ATLAS_SIGNIN_HOURS``: how long a staff sign-in cookie lasts (10, a working day).
- ``ATLAS_TRUST_PROXY``: ``1`` (default) takes the client address from the proxy's ``X-Real-IP``
  header when the request comes from this machine (the app listens on 127.0.0.1 behind nginx).

Maps:
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
EARLIEST_CALL_DEFAULT = "1990-01-01"
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


# --- deployment settings (deploy/) ---------------------------------------------------------------

PUBLIC_ONLY_ENV = "ATLAS_PUBLIC_ONLY"
AUTH_SECRET_ENV = "ATLAS_AUTH_SECRET"
SIGNIN_HOURS_ENV = "ATLAS_SIGNIN_HOURS"
TRUST_PROXY_ENV = "ATLAS_TRUST_PROXY"


def public_only() -> bool:
    """True in a public process (``ATLAS_PUBLIC_ONLY=1``): staff pages and sign-in do not exist."""
    return os.environ.get(PUBLIC_ONLY_ENV, "").strip().lower() in _TRUE


def signin_hours() -> float:
    """Lifetime of a staff sign-in cookie in hours (``ATLAS_SIGNIN_HOURS``, default 10)."""
    return float(os.environ.get(SIGNIN_HOURS_ENV, "10"))


def trust_proxy() -> bool:
    """Take the client address from ``X-Real-IP`` on loopback requests (``ATLAS_TRUST_PROXY``)."""
    return os.environ.get(TRUST_PROXY_ENV, "1").strip().lower() in _TRUE


# --- end of deployment settings ----------------------------------------------------------------


def load_settings(data_dir: str | Path | None = None) -> Settings:
    """Read settings from the environment; ``data_dir`` overrides ``ATLAS_DATA_DIR``."""
    chosen = data_dir or os.environ.get("ATLAS_DATA_DIR") or PROJECT_ROOT / "data"
    return Settings(
        data_dir=Path(chosen).resolve(),
        suppress_below=int(os.environ.get("ATLAS_SUPPRESS_BELOW", "10")),
        keep_snapshots=int(os.environ.get("ATLAS_KEEP_SNAPSHOTS", "5")),
        tiles=os.environ.get("ATLAS_TILES", ""),
    )


def earliest_call_date() -> str:
    """The first plausible call date (``ATLAS_EARLIEST_CALL``, default 1990-01-01)."""
    return os.environ.get("ATLAS_EARLIEST_CALL", "").strip() or EARLIEST_CALL_DEFAULT


def cdn_allowed() -> bool:
    """``ATLAS_ALLOW_CDN`` is set to 1/true/yes/on: an explicit opt-in, never a default."""
    return os.environ.get("ATLAS_ALLOW_CDN", "").strip().lower() in _TRUE
