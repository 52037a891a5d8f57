"""Forecast benchmark: how long the demand forecast takes as the county grows.

``python -m response_atlas.bench forecast --sizes 100000,1000000,5000000`` writes a demo county
per size under a temporary folder (deleted afterwards), refreshes it, then times in a fresh
process the two parts of ``analysis.forecast.build_forecast``: the counts (one SQL statement
over every call, which grows with the data) and the models with their backtest (which grow with
the number of zone groups and days, not with the calls). Results go to ``bench-results/``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from response_atlas.config import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench-results"


def _child(data_dir: Path, program: str) -> dict:
    """Time one forecast of ``program`` on the snapshot in ``data_dir`` (run in a fresh process)."""
    from response_atlas.analysis import forecast as fc
    from response_atlas.analysis.triage_impact import code_counts
    from response_atlas.snapshot import current_snapshot_dir, open_snapshot
    from response_atlas.triage_rules import load_rules

    snap = open_snapshot(current_snapshot_dir(data_dir / "snapshots"))
    rules = load_rules((snap.path / "triage_rules.yaml").read_text(encoding="utf-8"))
    began = time.perf_counter()
    codes = fc.eligible_codes(code_counts(snap), rules, program)
    counts = fc.hourly_counts(snap, codes, fc.program_zone_ids(snap.zones, program))
    counted = time.perf_counter()
    start, end = snap.date_range
    model = fc.forecast_counts(counts, start, end, fc.ForecastOptions(program=program))
    done = time.perf_counter()
    return {"counts_s": counted - began, "models_s": done - counted, "total_s": done - began,
            "groups": len(model.groups), "count_rows": len(counts),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_size(calls: int, workdir: Path, program: str) -> dict:
    """Write and refresh a demo of ``calls`` calls, then time the forecast in a fresh process."""
    from response_atlas.demo.generate import write_demo
    from response_atlas.ingest.refresh import run_refresh

    data = workdir / f"demo-{calls}"
    write_demo(data, calls=calls)
    result = run_refresh(data, progress=False)
    if not result.ok:
        raise SystemExit(f"refresh failed: {result.errors}")
    out = subprocess.run([sys.executable, "-m", "response_atlas.bench.forecast", "--child",
                          str(data), program], capture_output=True, text=True, check=True)
    return {"calls": calls, **json.loads(out.stdout.strip().splitlines()[-1])}


def markdown(rows: list[dict]) -> str:
    """The results as a markdown table."""
    lines = ["| calls | counts s (SQL) | models + backtest s | total s | zone groups | peak MB |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['calls']:,} | {r['counts_s']:.2f} | {r['models_s']:.2f} | {r['total_s']:.2f} "
              f"| {r['groups']} | {r['rss_mb']:.0f} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(prog="python -m response_atlas.bench forecast")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated call counts")
    parser.add_argument("--program", default="ARC")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(Path(args.child[0]), args.child[1])))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="atlas-forecast-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(run_size(size, Path(tmp), args.program))
            print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    table = markdown(rows)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "forecast.md").write_text(table + "\n", encoding="utf-8")
    (args.out / "forecast.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
