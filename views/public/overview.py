"""Overview: the headline figures for the filtered period, with monthly trend lines."""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis.calls import area_counts, publish_area_counts
from response_atlas.analysis.overview import (
    busiest_areas,
    compute_overview,
    overview_metrics,
    published_monthly,
)
from response_atlas.publish import method_note
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header
from response_atlas.ui.map_view import show_map
from response_atlas.viz.calls_figures import build_calls_map
from response_atlas.viz.palettes import FLOW_COLORS, OKABE_ITO
from response_atlas.viz.sparklines import build_sparkline

# Worded values ("fewer than 11", "too few calls to show") wrap instead of being cut to "fewer tha...".
_WRAP_METRICS_CSS = """<style>
.st-key-overview_cards [data-testid="stMetricValue"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  line-height: 1.15;
}
</style>"""

ctx = get_context()
page_header(
    "Overview",
    ctx,
    intro="911 calls in Hamilton County, how many the triage rules mark as suitable for a "
    "mobile crisis team, and how many fall where and when a team works. "
    "See **About and methods** for how each figure is counted.",
)

result = cached_query(ctx.snapshot, compute_overview, ctx.filters)
public = not ctx.is_staff
audience = ctx.audience
threshold = audience.threshold
metrics = overview_metrics(result, audience)

if result.calls == 0:
    st.info("No calls match these filters. Widen the dates or clear some filters in the sidebar.")

m = published_monthly(result.monthly, audience)
trends = {
    "calls": (m["calls"], OKABE_ITO["blue"], False),
    "eligible": (m["eligible"], FLOW_COLORS["eligible"], True),
    "repeat": None,  # a count over a rolling window has no simple monthly line
    "coverage": (m["coverage"], FLOW_COLORS["without_police"], True),
}

st.html(_WRAP_METRICS_CSS)
columns = st.container(key="overview_cards").columns(len(metrics), border=True)
for column, metric in zip(columns, metrics, strict=True):
    with column:
        st.metric(metric.label, metric.text, help=metric.help)
        trend = trends.get(metric.key)
        if trend is not None and result.calls and len(m) > 1:
            values, color, percent = trend
            st.plotly_chart(
                build_sparkline(m["month"], values, color=color, percent=percent,
                                label=metric.label),
                config={"displayModeBar": False, "staticPlot": ctx.presentation},
                key=f"spark-{metric.key}",
            )
            st.caption("Monthly, over the selected period")
        elif metric.key == "repeat":
            st.caption(metric.help)

if result.calls:
    st.subheader("Calls per 1,000 residents by area")
    counts = publish_area_counts(cached_query(ctx.snapshot, area_counts, ctx.filters), audience)
    map_col, table_col = st.columns([3, 2])
    with map_col:
        area_map = build_calls_map(ctx.snapshot.areas, counts, "rate", ("areas",),
                                   audience=audience, tiles=ctx.settings.tiles or None)
        show_map(area_map, "overview_map", 380)
    with table_col:
        st.markdown("**Busiest areas**")
        st.dataframe(busiest_areas(counts, audience), hide_index=True,
                     key="busiest_areas")
        st.caption("Top 5 by calls per 1,000 residents. The **Calls map** page has every area, "
                   "hexagons and hours."
                   + (f" Areas with 1 to {threshold} calls are light gray on the map and listed last."
                      if public else ""))

if public:
    st.caption(method_note(audience) + " Domestic violence and overdose calls are counted by "
               "area and month only. See **About and methods**.")
st.caption(f"Data as of {result.data_as_of}.")
