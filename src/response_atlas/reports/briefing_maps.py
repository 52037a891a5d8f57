"""Static maps for the briefing: matplotlib + geopandas, no tiles (works offline).

The frames come from :mod:`response_atlas.reports.briefing` already published: a hidden value is
NaN and is drawn light gray, the same as the page maps' "no value shown".
"""

from __future__ import annotations

import io

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no display: the briefing is made by a CLI or a server

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from response_atlas.config import PROJECTED_CRS  # noqa: E402

HIDDEN_COLOR = "#d9d9d9"
ZONE_COLORS = {"ARC": "#0072B2", "QRT": "#009E73", "DVERT": "#CC79A7"}
DPI = 150


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _axes(title: str):
    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    ax.set_axis_off()
    ax.set_title(title, fontsize=10, loc="left")
    return fig, ax


def choropleth_png(frame: gpd.GeoDataFrame, title: str, legend: str, cmap: str = "YlOrRd") -> bytes:
    """Areas shaded by ``value`` (NaN: light gray, "not shown")."""
    fig, ax = _axes(title)
    if frame.empty:
        ax.text(0.5, 0.5, "No areas", ha="center", transform=ax.transAxes)
        return _png(fig)
    shown = frame["value"].notna().any()
    frame.plot(
        column="value" if shown else None, ax=ax, cmap=cmap, legend=bool(shown),
        color=None if shown else HIDDEN_COLOR, edgecolor="white", linewidth=0.4,
        missing_kwds={"color": HIDDEN_COLOR, "label": "not shown"},
        legend_kwds={"label": legend, "shrink": 0.7} if shown else None,
    )
    if frame["value"].isna().any():
        ax.text(0, -0.04, "Gray: no value shown (no calls, or too few to publish).",
                transform=ax.transAxes, fontsize=7)
    return _png(fig)


def zones_png(areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, title: str) -> bytes:
    """Team zones over the area outlines (no counts: the public coverage map)."""
    fig, ax = _axes(title)
    areas.plot(ax=ax, color="#f4f4f4", edgecolor="none")
    handles = []
    # The widest zones first, so a small zone is drawn on top of a county-wide one.
    order = sorted(ZONE_COLORS, key=lambda p: -_zone_area(zones, p))
    for program in order:
        part = zones[zones["program"] == program] if not zones.empty else zones
        if part.empty:
            continue
        color = ZONE_COLORS[program]
        part.plot(ax=ax, facecolor=color, alpha=0.3, edgecolor="none")
        part.boundary.plot(ax=ax, color=color, linewidth=1.4)
        handles.append(Patch(facecolor=color, alpha=0.5, edgecolor=color, label=program))
    areas.boundary.plot(ax=ax, color="#777777", linewidth=0.3)
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False,
                  title="Team zones", title_fontsize=7)
    return _png(fig)


def _zone_area(zones: gpd.GeoDataFrame, program: str) -> float:
    if zones.empty:
        return 0.0
    part = zones[zones["program"] == program]
    return float(part.to_crs(PROJECTED_CRS).area.sum()) if not part.empty else 0.0
