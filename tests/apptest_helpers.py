"""Run a page through app.py with AppTest on a given data folder and role."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

from response_atlas.ui.auth import ROLE_KEY

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_page(
    page: str,
    data_dir: Path,
    role: str = "public",
    query: dict[str, str | list[str]] | None = None,
    timeout: float = 60,
) -> AppTest:
    """Open ``page`` (e.g. ``views/public/overview.py``) as a user with ``role`` would; returns AppTest."""
    os.environ["ATLAS_DATA_DIR"] = str(data_dir)
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state[ROLE_KEY] = role
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "views/public/overview.py":
        at.switch_page(page)
        at.run()
    return at
