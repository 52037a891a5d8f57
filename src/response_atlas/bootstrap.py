"""First start: generate the demo county into the data folder and ingest it (no streamlit)."""

from __future__ import annotations

from response_atlas.config import Settings


def ensure_demo_snapshot(settings: Settings) -> None:
    """Write the demo extracts (if the folder has none) and run a refresh."""
    raise NotImplementedError("demo generation arrives with issue 3")
