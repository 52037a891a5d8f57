"""A small generated demo county (with its program file and injected effect), refreshed once."""

from __future__ import annotations

from pathlib import Path

DEMO_CALLS = 120_000  # enough for the injected 15% to show in 8 areas; ~5 s to write and refresh


def build_evaluation_demo(data_dir: Path) -> Path:
    from response_atlas.demo.generate import write_demo
    from response_atlas.ingest.refresh import run_refresh

    write_demo(data_dir, calls=DEMO_CALLS)
    result = run_refresh(data_dir, progress=False)
    assert result.ok, result.errors
    return data_dir
