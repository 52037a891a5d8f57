"""Ingest benchmark: time a refresh of N calls against DuckDB's bare ``read_csv`` of the same file.

``python -m response_atlas.bench ingest --calls 1000000`` writes a synthetic canonical calls CSV
(block-masked style: calls repeat over a fixed pool of block points, as real extracts do) and a
grid of 81 areas over Hamilton County, then runs the refresh and DuckDB each in a fresh
subprocess so peak memory (max RSS) is measured per run; each side runs ``--repeat`` times and
the fastest run is kept. ``--csv FILE`` benchmarks an existing
canonical calls file instead (areas are still the synthetic grid).
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

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from response_atlas.demo.codes import INCIDENT_CODES

# Hamilton County's bounding box (approximate), lon/lat.
BBOX = (-84.82, 39.02, -84.25, 39.31)
TARGET_RATIO = 3.0
TARGET_RSS_MB = 2048


def write_grid_areas(path: Path, side: int = 9) -> None:
    """``side`` x ``side`` rectangular areas over the county box, named ``Area 00``..."""
    x0, y0, x1, y1 = BBOX
    dx, dy = (x1 - x0) / side, (y1 - y0) / side
    rows = [{"name": f"Area {i * side + j:02d}", "geometry": box(x0 + j * dx, y0 + i * dy,
                                                               x0 + (j + 1) * dx, y0 + (i + 1) * dy)}
            for i in range(side) for j in range(side)]
    gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326").to_file(path, driver="GeoJSON")


def write_calls_csv(path: Path, n: int, seed: int = 7, blocks: int = 30_000) -> None:
    """A canonical calls CSV with ``n`` rows (all columns filled, like a full export)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = BBOX
    block_lat = np.round(rng.uniform(y0, y1, blocks), 6)
    block_lon = np.round(rng.uniform(x0, x1, blocks), 6)
    block = rng.integers(0, blocks, n)
    codes = np.array([c.code for c in INCIDENT_CODES])
    weights = np.array([c.weight for c in INCIDENT_CODES])
    code = codes[rng.choice(len(codes), n, p=weights / weights.sum())]
    start = np.datetime64("2023-01-01T00:00:00")
    received = start + rng.integers(0, 3 * 365 * 86400, n).astype("timedelta64[s]")
    dispatched = received + rng.integers(30, 900, n).astype("timedelta64[s]")
    arrived = dispatched + rng.integers(60, 1800, n).astype("timedelta64[s]")
    closed = arrived + rng.integers(300, 7200, n).astype("timedelta64[s]")
    iso = "%Y-%m-%dT%H:%M:%S"
    frame = pd.DataFrame({
        "call_id": np.char.add("CPD", np.arange(n).astype(str)),
        "received_at": pd.Series(received).dt.strftime(iso),
        "incident_code": code,
        "priority": rng.integers(1, 6, n).astype(str),
        "disposition": np.array(["CLOSED", "ARREST", "301:OFFENSE REPORT", "NO ACTION"])[rng.integers(0, 4, n)],
        "address": np.char.add(np.char.add((block % 99 + 1).astype(str), "XX "), "MAIN ST"),
        "lat": block_lat[block],
        "lon": block_lon[block],
        "dispatched_at": pd.Series(dispatched).dt.strftime(iso),
        "arrived_at": pd.Series(arrived).dt.strftime(iso),
        "closed_at": pd.Series(closed).dt.strftime(iso),
        "agency": "CPD",
        "beat": np.char.add("P", (block % 40).astype(str)),
        "district": (block % 5 + 1).astype(str),
    })
    frame.to_csv(path, index=False)


def _run_child(mode: str, data_dir: Path, repeat: int = 1) -> dict:
    """The fastest of ``repeat`` fresh-process runs (the machine is shared: the best run is the
    one least disturbed), with the highest peak memory of them."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-m", "response_atlas.bench.ingest", "--child", mode,
                              str(data_dir)], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "rss_mb": max(r["rss_mb"] for r in runs), "all": [round(r["seconds"], 2) for r in runs]}


def _child(mode: str, data_dir: Path) -> None:
    # Imports happen before the clock starts: both sides are timed on the work alone.
    import duckdb

    from response_atlas.ingest.refresh import import_refresh_modules, keep_freed_memory, run_refresh

    import_refresh_modules()
    keep_freed_memory()  # as the refresh command does
    start = time.perf_counter()
    if mode == "duckdb":
        con = duckdb.connect()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{data_dir / 'calls.csv'}')")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    else:
        result = run_refresh(data_dir, progress=False, keep=1)
        if not result.ok:
            raise SystemExit(f"refresh failed: {result.errors}")
        rows = result.counts["calls"]["accepted"]
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "rss_mb": rss_mb}))


def main(argv: list[str] | None = None) -> int:
    """Generate (or take) a calls CSV, run ingest and DuckDB, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m response_atlas.bench ingest")
    parser.add_argument("--calls", type=int, default=1_000_000, help="rows to generate")
    parser.add_argument("--csv", type=Path, help="benchmark this canonical calls CSV instead")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs of each side (best kept)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        if args.csv:
            (data_dir / "calls.csv").symlink_to(args.csv.resolve())
        else:
            write_calls_csv(data_dir / "calls.csv", args.calls)
        write_grid_areas(data_dir / "areas.geojson")
        size_mb = (data_dir / "calls.csv").stat().st_size / 1e6
        print(f"input: {size_mb:,.0f} MB CSV ({time.perf_counter() - t0:.1f} s to prepare)")
        duck = _run_child("duckdb", data_dir, args.repeat)
        ingest = _run_child("ingest", data_dir, args.repeat)
    ratio = ingest["seconds"] / duck["seconds"]
    print(f"ingest: {ingest['rows']:,} calls in {ingest['seconds']:.2f} s "
          f"({ingest['rows'] / ingest['seconds']:,.0f} rows/s), peak RSS {ingest['rss_mb']:,.0f} MB"
          f" (runs: {ingest['all']} s)")
    print(f"duckdb read_csv: {duck['rows']:,} rows in {duck['seconds']:.2f} s, "
          f"peak RSS {duck['rss_mb']:,.0f} MB (runs: {duck['all']} s)")
    ok = ratio <= TARGET_RATIO and ingest["rss_mb"] < TARGET_RSS_MB
    print(f"ratio ingest/duckdb: {ratio:.2f}x (target <= {TARGET_RATIO}x, RSS < {TARGET_RSS_MB} MB): "
          + ("met" if ok else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
