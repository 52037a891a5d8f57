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
    areas.boundary.plot(ax=ax, color="#999999", linewidth=0.4)
    handles = []
    for program, color in ZONE_COLORS.items():
        part = zones[zones["program"] == program] if not zones.empty else zones
        if part.empty:
            continue
        part.plot(ax=ax, color=color, alpha=0.35, edgecolor=color, linewidth=0.8)
        handles.append(Patch(color=color, alpha=0.5, label=program))
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False)
    return _png(fig)
