"""Render a :class:`~response_atlas.reports.briefing.Briefing` to PDF with Typst (offline).

The Typst compiler comes with the ``typst`` wheel; the fonts are matplotlib's bundled DejaVu
(system fonts are ignored, so every machine makes the same PDF). Figures go to the template as a
JSON file of strings, never spliced into markup.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import matplotlib
import pandas as pd
import typst

from response_atlas.reports.briefing import Briefing
from response_atlas.reports.briefing_maps import choropleth_png, zones_png

TEMPLATE = Path(__file__).with_name("briefing.typ")
PAPERS = {"a4": "a4", "letter": "us-letter"}
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _rows(frame: pd.DataFrame) -> list[list[str]]:
    return [[str(v) for v in row] for row in frame.astype(str).itertuples(index=False)]


def briefing_data(b: Briefing, paper: str) -> dict:
    """The template's input: every figure as display text."""
    who = "public" if b.public else "staff"
    return {
        "title": f"Community Response Atlas: {b.month.label} briefing",
        "subtitle": f"Monthly briefing for the working group ({who} edition). "
        f"Data as of {b.data_as_of}.",
        "scope": f"Filters: {b.filters_text}",
        "footer": f"Community Response Atlas · {b.month.label} · {who} edition · "
        f"snapshot {b.snapshot_version}",
        "paper": PAPERS[paper],
        "month": b.month.label,
        "headline_header": ["Figure", b.month.label, b.month.shifted(-1).label,
                            b.month.shifted(-12).label],
        "headline": [[r["label"], r["this"], r["previous"], r["year_ago"]] for r in b.headline],
        "definitions": b.definitions,
        "busiest_header": list(b.busiest.columns),
        "busiest": _rows(b.busiest),
        "map_note": "Left: calls per 1,000 residents by area, as on the Overview and Calls map "
        "pages. Right: " + ("uncovered eligible calls by area (Coverage and gaps page)."
                            if not b.public else "where the teams work (team zones)."),
        "funnel_header": ["Program", "Eligible", "Routed", "Handled without police",
                          "Police backup"],
        "funnel": [[r["program"], r["eligible"], r["routed"], r["handled_without_police"],
                    r["police_backup"]] for r in b.funnel],
        "funnel_sentences": b.funnel_sentences,
        "eligibility": b.eligibility,
        "coverage_header": ["Program", "Eligible", "Covered", "Share covered",
                            "Team-hours a week"],
        "coverage": [[r["program"], r["eligible"], r["covered"], r["share"], r["team_hours"]]
                     for r in b.coverage_rows],
        "equity_title": b.equity_title,
        "equity_header": list(b.equity.columns),
        "equity": _rows(b.equity),
        "equity_sentences": b.equity_sentences,
        "repeats": [[k, v] for k, v in (b.repeats or {}).items()],
        "repeat_header": ["Rank", "Block", "Area", "Calls", "Team contact"],
        "repeat_rows": _rows(b.repeat_rows) if b.repeat_rows is not None else [],
        "repeat_note": "Blocks with 3 or more calls within 90 days (the Repeat addresses page's "
        "default). Domestic violence and overdose calls are never listed by block.",
        "data_as_of": b.data_as_of,
        "snapshot": b.snapshot_version,
        "sources_header": ["Kind", "File", "Rows read"],
        "sources": _rows(b.sources[["Kind", "File", "Rows read"]]) if not b.sources.empty else [],
        "caveats": b.caveats,
    }


def map_images(b: Briefing, areas) -> dict[str, bytes]:
    """The two static maps as PNG bytes."""
    calls = choropleth_png(b.calls_map, "Calls per 1,000 residents", "calls per 1,000")
    if b.public:
        coverage = zones_png(areas, b.coverage_map, "Team zones")
    else:
        coverage = choropleth_png(b.coverage_map, "Uncovered eligible calls", "uncovered calls",
                                  cmap="PuRd")
    return {"calls_map.png": calls, "coverage_map.png": coverage}


def render_pdf(b: Briefing, areas, paper: str = "a4") -> bytes:
    """The briefing as PDF bytes (A4 or US Letter)."""
    if paper not in PAPERS:
        raise ValueError(f"Paper '{paper}' is not one of {', '.join(PAPERS)}.")
    with tempfile.TemporaryDirectory(prefix="atlas-briefing-") as tmp:
        root = Path(tmp)
        (root / "main.typ").write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
        (root / "data.json").write_text(json.dumps(briefing_data(b, paper)), encoding="utf-8")
        for name, png in map_images(b, areas).items():
            (root / name).write_bytes(png)
        return typst.compile(
            str(root / "main.typ"), root=str(root), font_paths=[str(FONT_DIR)],
            ignore_system_fonts=True, timestamp=datetime.now(UTC).replace(microsecond=0),
        )
