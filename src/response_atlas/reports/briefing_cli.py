"""``python -m response_atlas briefing --month 2026-10 --audience public --out briefing.pdf``.

``--month previous`` takes the last whole month of the current snapshot; without ``--out`` the PDF
goes next to the snapshot it comes from (``<snapshot>/briefing-YYYY-MM-<audience>.pdf``).
``--view NAME`` uses a saved view's filters (areas, call types, tiers) for the month.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from response_atlas.config import load_settings
from response_atlas.pages_registry import PUBLIC
from response_atlas.reports.briefing import AUDIENCES, BriefingError, build_briefing, parse_month
from response_atlas.reports.briefing_pdf import PAPERS, render_pdf
from response_atlas.snapshot import Snapshot, SnapshotMissing, current_snapshot_dir, open_snapshot


def default_output(snapshot: Snapshot, month_key: str, audience: str) -> Path:
    """``<snapshot folder>/briefing-YYYY-MM-<audience>.pdf``."""
    return Path(snapshot.path) / f"briefing-{month_key}-{audience}.pdf"


def make_briefing(snapshot: Snapshot, month: str, audience: str = PUBLIC, paper: str = "a4",
                  view_name: str | None = None, threshold: int = 10,
                  data_dir: Path | None = None) -> tuple[bytes, str]:
    """``(pdf bytes, month key)``; the app's button and the CLI both call this."""
    view = None
    if view_name:
        from response_atlas.plans import load_view

        view = load_view(data_dir, view_name, snapshot)
    chosen = parse_month(month, snapshot)
    briefing = build_briefing(snapshot, chosen, audience, view, threshold)
    return render_pdf(briefing, snapshot.areas, paper), chosen.key


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m response_atlas briefing",
                                description="Write the monthly meeting briefing (PDF).")
    p.add_argument("--month", default="previous",
                   help="YYYY-MM, or 'previous' (last whole month of the data; the default)")
    p.add_argument("--audience", choices=AUDIENCES, default=PUBLIC)
    p.add_argument("--paper", choices=tuple(PAPERS), default="a4")
    p.add_argument("--view", default=None, help="a saved view's name: its filters")
    p.add_argument("--out", default=None,
                   help="output file (default: briefing-YYYY-MM-<audience>.pdf in the snapshot)")
    p.add_argument("--data-dir", default=None, help="data folder (default ATLAS_DATA_DIR)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings(args.data_dir)
    try:
        snapshot = open_snapshot(current_snapshot_dir(settings.snapshots_dir))
        pdf, key = make_briefing(snapshot, args.month, args.audience, args.paper, args.view,
                                 settings.suppress_below, settings.data_dir)
    except (BriefingError, SnapshotMissing, LookupError, ValueError) as exc:
        print(f"briefing: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else default_output(snapshot, key, args.audience)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(pdf)
    tmp.replace(out)  # a reader never sees half a file
    print(f"Wrote {out} ({len(pdf) / 1024:,.0f} KB, {args.audience}, {key}).")
    return 0
