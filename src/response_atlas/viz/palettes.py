"""Colorblind-safe palettes shared by every map and chart (no streamlit, no plotting imports).

Categories use the Okabe-Ito palette (distinguishable with the common color-vision deficiencies);
ordered scales use cividis (sequential) and ColorBrewer's blue-red diverging scale, both readable in
grayscale on a projector. Colors are hex strings so plotly, folium and branca can all use them.
"""

from __future__ import annotations

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "gray": "#999999",
}

CATEGORY_COLORS: dict[str, str] = {
    "behavioral_health": OKABE_ITO["blue"],
    "homelessness": OKABE_ITO["orange"],
    "substance_use": OKABE_ITO["reddish_purple"],
    "domestic_violence": OKABE_ITO["vermillion"],
    "welfare_check": OKABE_ITO["sky_blue"],
    "disorder": OKABE_ITO["bluish_green"],
    "medical": OKABE_ITO["yellow"],
    "other": OKABE_ITO["black"],
    "unclassified": OKABE_ITO["gray"],
}

TIER_COLORS: dict[str, str] = {
    "alternative": OKABE_ITO["bluish_green"],
    "co_response": OKABE_ITO["orange"],
    "police_only": OKABE_ITO["blue"],
}

PROGRAM_COLORS: dict[str, str] = {
    "ARC": OKABE_ITO["bluish_green"],
    "QRT": OKABE_ITO["reddish_purple"],
    "DVERT": OKABE_ITO["vermillion"],
}

# The four numbers kept apart (DESIGN.md): one color each, everywhere.
FLOW_COLORS: dict[str, str] = {
    "eligible": OKABE_ITO["sky_blue"],
    "routed": OKABE_ITO["blue"],
    "without_police": OKABE_ITO["bluish_green"],
    "police_backup": OKABE_ITO["vermillion"],
}

# cividis, 9 steps from low (dark blue) to high (yellow).
SEQUENTIAL: list[str] = [
    "#00224E", "#123570", "#3B496C", "#575D6D", "#707173",
    "#8A8779", "#A69D75", "#C4B56C", "#FEE838",
]

# ColorBrewer RdBu: blue (below) - light gray (neutral) - red (above); colorblind-safe.
DIVERGING: list[str] = [
    "#2166AC", "#4393C3", "#92C5DE", "#D1E5F0", "#F7F7F7",
    "#FDDBC7", "#F4A582", "#D6604D", "#B2182B",
]

NO_DATA_COLOR = "#E0E0E0"  # areas with no value (suppressed or empty)
ZONE_OUTLINE = OKABE_ITO["black"]


def color_for(mapping: dict[str, str], key: str) -> str:
    """The color for ``key`` in ``mapping``; gray for anything unknown (never raises)."""
    return mapping.get(key, OKABE_ITO["gray"])
