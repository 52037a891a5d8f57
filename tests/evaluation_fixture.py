"""A small generated demo county (with its program file and injected effect), refreshed once."""

from __future__ import annotations

from pathlib import Path

DEMO_CALLS = 120_000
# The placebo-date check is a 95% test: on random demos it fires by chance about one time in
# eight (8 seeds tried: 7 clean). The app's default demo (seed 7) on the real area shapes is one
# where it fires, and the page then says the comparison is not reliable; these tests need a
# demo where the comparison holds, so they use seed 11 (checked: placebo covers zero).
DEMO_SEED = 11  # enough for the injected 15% to show in 8 areas; ~5 s to write and refresh


def build_evaluation_demo(data_dir: Path) -> Path:
    from response_atlas.demo.generate import write_demo
    from response_atlas.ingest.refresh import run_refresh

    write_demo(data_dir, calls=DEMO_CALLS, seed=DEMO_SEED)
    result = run_refresh(data_dir, progress=False)
    assert result.ok, result.errors
    return data_dir
