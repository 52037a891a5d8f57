"""First start: generate the demo county into the data folder and ingest it (no streamlit)."""

from __future__ import annotations

from pathlib import Path

from response_atlas.config import Settings
from response_atlas.schema import EXTRACT_FILES


def has_extracts(data_dir: Path) -> bool:
    """True when the folder already holds a calls extract (``calls.csv`` or ``calls*.csv``)."""
    data_dir = Path(data_dir)
    return (data_dir / EXTRACT_FILES["calls"]).is_file() or any(data_dir.glob("calls*.csv"))


def ensure_demo_snapshot(settings: Settings, calls: int | None = None) -> dict | None:
    """Write the demo extracts (only if the folder has none), then run a refresh.

    Real extracts already in the folder are never overwritten. Returns the demo summary when the
    demo was written, else ``None``. Raises ``RuntimeError`` listing the refresh errors.
    """
    from response_atlas.demo.generate import DEFAULT_CALLS, write_demo
    from response_atlas.ingest.refresh import run_refresh

    summary = None
    if not has_extracts(settings.data_dir):
        summary = write_demo(settings.data_dir, calls=calls or DEFAULT_CALLS)
    result = run_refresh(settings.data_dir, progress=False, keep=settings.keep_snapshots)
    if not result.ok:
        raise RuntimeError("demo refresh failed: " + "; ".join(result.errors))
    return summary
