"""``python -m response_atlas demo``: write a synthetic Hamilton County into a data folder.

The areas are real (names, simplified shapes, interior points, populations, shares); the calls,
blocks, zones and team contacts are made up, deterministic by seed: the same arguments give
byte-identical files.
"""

from __future__ import annotations

import argparse
import math
import shutil
import time
from pathlib import Path

import numpy as np

from response_atlas.config import PROJECT_ROOT
from response_atlas.demo.addresses import build_address_pool
from response_atlas.demo.calls import generate_calls
from response_atlas.demo.codes import group_shares
from response_atlas.demo.contacts import build_contacts, route_arc, thin_after_contact
from response_atlas.demo.facts import load_area_facts
from response_atlas.demo.geometry import load_area_shapes
from response_atlas.demo.programs import apply_programs, write_programs
from response_atlas.demo.writers import (
    write_calls_csv,
    write_contacts_csv,
    write_geojson,
    zone_features,
)
from response_atlas.demo.zones import ZONES, zone_geometry
from response_atlas.programs import PROGRAMS_FILE
from response_atlas.schema import EXTRACT_FILES

DEFAULT_CALLS = 300_000
DEFAULT_YEARS = 2
DEFAULT_END = np.datetime64("2026-10-31")  # last day of data (fixed, so output is deterministic)
ARC_LAUNCH = np.datetime64("2025-06-02")  # a Monday; no ARC contacts before it
MAX_CALLS = 5_000_000
RULES_RESOURCE = PROJECT_ROOT / "src" / "response_atlas" / "resources" / "triage_rules.yaml"
OVERSAMPLE = 1.08  # extra calls drawn so thinning after ARC contacts still leaves N


def period(years: int, start: str | None) -> tuple[np.datetime64, np.datetime64]:
    """[first day, day after the last) of the data period."""
    if start:
        first = np.datetime64(start, "D")
        y, md = str(first)[:4], str(first)[4:]
        return first, np.datetime64(f"{int(y) + years:04d}{md}", "D")
    end = DEFAULT_END + np.timedelta64(1, "D")
    y, md = str(end)[:4], str(end)[4:]
    return np.datetime64(f"{int(y) - years:04d}{md}", "D"), end


def launch_date(first: np.datetime64, end: np.datetime64) -> np.datetime64:
    """ARC launch: 2025-06-02 when it falls well inside the period, else the Monday ~40% in."""
    span = (end - first).astype(int)
    if first + span // 10 <= ARC_LAUNCH <= end - span // 10:
        return ARC_LAUNCH
    day = first + int(span * 0.4)
    weekday = (day.astype(np.int64) + 3) % 7
    return day + int((7 - weekday) % 7)


def police_districts(lons: np.ndarray, lats: np.ndarray, downtown: tuple[float, float]) -> np.ndarray:
    """A CPD district 1-5 per area from its position relative to downtown (1 = central)."""
    dx = (lons - downtown[0]) * math.cos(math.radians(39.1))
    dy = lats - downtown[1]
    dist = np.hypot(dx, dy)
    district = np.where(dx < -0.015, 3, np.where(dy > 0.05, 5, np.where(dx > 0.03, 2, 4)))
    return np.where(dist < 0.02, 1, district)


def write_demo(data_dir: str | Path, calls: int = DEFAULT_CALLS, years: int = DEFAULT_YEARS,
               seed: int = 7, start: str | None = None) -> dict:
    """Write the demo extracts into ``data_dir``; returns counts and file sizes."""
    if not 1 <= calls <= MAX_CALLS:
        raise ValueError(f"calls must be between 1 and {MAX_CALLS:,}, got {calls}")
    if not 1 <= years <= 10:
        raise ValueError(f"years must be between 1 and 10, got {years}")
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    first, end = period(years, start)
    launch = launch_date(first, end)

    facts = load_area_facts()
    names = facts["name"].to_numpy()
    polygons = load_area_shapes(names)

    shares = np.array(list(group_shares().values()))
    n_addresses = int(np.clip(calls // 6, 3000, 50_000))
    pool = build_address_pool(names, polygons, facts["population"].to_numpy(),
                              facts["pct_poverty"].to_numpy(), n_addresses, shares, rng)

    drawn = generate_calls(pool, int(math.ceil(calls * OVERSAMPLE)), first, end, rng)
    routed = route_arc(drawn, names, np.datetime64(launch, "s"), rng)
    keep = thin_after_contact(drawn, routed, len(pool.weight), rng)
    kept = np.flatnonzero(keep)
    if len(kept) > calls:
        kept = np.sort(rng.choice(kept, size=calls, replace=False))
    final = drawn.take(kept)
    routed = routed[kept]
    contacts = build_contacts(final, routed, names, rng)
    contacts, programs = apply_programs(final, contacts, names, first, end, launch, seed)

    files = {k: data_dir / v for k, v in EXTRACT_FILES.items()}
    downtown = facts.loc[facts["name"] == "Downtown", ["lon", "lat"]].iloc[0]
    district = police_districts(facts["lon"].to_numpy(), facts["lat"].to_numpy(),
                                (float(downtown["lon"]), float(downtown["lat"])))
    ids = write_calls_csv(files["calls"], final, pool.text, facts, district)
    write_contacts_csv(files["contacts"], contacts, ids, names)
    write_geojson(files["areas"], [({"name": n}, p) for n, p in zip(names, polygons, strict=True)])
    out_facts = facts.copy()
    out_facts["population"] = out_facts["population"].round().astype(int)
    out_facts.to_csv(files["area_facts"], index=False, lineterminator="\n")
    zone_geoms = [zone_geometry(z, names, polygons) for z in ZONES]
    by_name = facts.set_index("name")
    base = [(float(by_name.at[z.base_area, "lat"]), float(by_name.at[z.base_area, "lon"]))
            for z in ZONES]
    write_geojson(files["zones"], zone_features(ZONES, zone_geoms, base))
    write_programs(data_dir / PROGRAMS_FILE, programs)
    if RULES_RESOURCE.exists():
        shutil.copyfile(RULES_RESOURCE, files["rules"])

    return {
        "data_dir": str(data_dir),
        "calls": len(final),
        "contacts": len(contacts),
        "areas": len(names),
        "zones": len(ZONES),
        "addresses": n_addresses,
        "start": str(first),
        "end": str(end - np.timedelta64(1, "D")),
        "arc_launch": str(launch),
        "files": {p.name: p.stat().st_size for p in files.values() if p.exists()},
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry: parse options, write the demo, print a summary."""
    parser = argparse.ArgumentParser(prog="python -m response_atlas demo",
                                     description="Write a synthetic Hamilton County demo.")
    parser.add_argument("--data", default=str(PROJECT_ROOT / "data"), help="data folder")
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS,
                        help=f"number of calls (default {DEFAULT_CALLS:,}, max {MAX_CALLS:,})")
    parser.add_argument("--years", type=int, default=DEFAULT_YEARS, help="years of data")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--start", default=None,
                        help="first day YYYY-MM-DD (default: the period ends 2026-10-31)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        summary = write_demo(args.data, calls=args.calls, years=args.years, seed=args.seed,
                             start=args.start)
    except ValueError as exc:
        parser.error(str(exc))
    seconds = time.perf_counter() - began
    print(f"wrote {summary['calls']:,} calls and {summary['contacts']:,} team contacts "
          f"({summary['start']} to {summary['end']}, ARC from {summary['arc_launch']}) "
          f"into {summary['data_dir']} in {seconds:.1f} s")
    for name, size in summary["files"].items():
        print(f"  {name:20s} {size / 1e6:8.2f} MB")
    return 0
