"""Equity (public): per-capita rates by area and demographic group, rate ratios, trends, maps.

Thin page: options -> ``analysis.equity`` (cached) -> ``public_view`` (the publish step) -> render.
Only the published frames reach the browser; small counts are already text there.
"""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis.equity import (
    DEMOGRAPHICS,
    MEASURES,
    EquityInputError,
    Grouping,
    build_equity_report,
    definitions,
    parse_cuts,
    public_view,
)
from response_atlas.privacy import defer_csv
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header
from response_atlas.ui.map_view import show_map
from response_atlas.viz.equity_figures import area_rate_maps, group_rate_bars, ratio_trend_lines

ctx = get_context()
snap = ctx.snapshot
page_header(
    "Equity: rates per resident",
    ctx,
    "How often 911 calls, crisis-team responses and arrests happen per 1,000 residents, compared "
    "across neighborhoods grouped by the share of Black residents or of residents in poverty. "
    "Only totals for whole areas are shown; small numbers are hidden.",
)

c1, c2, c3 = st.columns(3)
column = c1.selectbox("Group areas by", list(DEMOGRAPHICS), key="eq_by", bind="query-params",
                      format_func=lambda c: DEMOGRAPHICS[c][0])
method = c2.radio("Grouping", ["bands", "quintiles"], key="eq_method", bind="query-params",
                  horizontal=True,
                  format_func={"bands": "Bands (%)", "quintiles": "Fifths of residents"}.get)
measure = c3.selectbox("Measure", list(MEASURES), key="eq_measure", bind="query-params",
                       format_func=lambda k: MEASURES[k].label)
cuts: tuple[float, ...] = ()
if method == "bands":
    default_text = ", ".join(f"{c:g}" for c in Grouping(column).effective_cuts())
    text = c1.text_input("Band limits (%)", value=default_text, key=f"eq_cuts_{column}",
                         help="Percent values separated by commas, for example 10, 25, 50.")
    try:
        cuts = parse_cuts(text)
    except EquityInputError as err:
        st.warning(f"{err}. Using the default bands.")
freq = c2.radio("Trend by", ["quarter", "month"], key="eq_freq", horizontal=True,
                format_func=str.capitalize)
grouping = Grouping(column, method, cuts)

first = cached_query(snap, build_equity_report, ctx.filters, grouping, None, measure, freq)
groups = list(first.groups.index)
reference = c3.selectbox("Reference group", groups, key=f"eq_ref_{column}_{method}",
                         help="Ratios compare every group with this one.") if groups else None
report = first if reference in (None, first.reference) else cached_query(
    snap, build_equity_report, ctx.filters, grouping, reference, measure, freq)

if report.areas.empty or int(report.areas["calls"].sum()) == 0:
    st.info("No calls match the filters in the sidebar, so there are no rates to show. "
            "Try a longer period or fewer filters.")
    st.stop()

view = public_view(report, ctx.audience)
label = MEASURES[measure].label

st.subheader("In plain words")
for sentence in view.headlines:
    st.markdown(sentence)
with st.expander("What these numbers mean (definitions)"):
    st.markdown(definitions(report))
for warning in view.warnings:
    st.caption(warning)

st.subheader(f"{label} per 1,000 residents, by group")
st.plotly_chart(group_rate_bars(view.group_chart, label, report.reference), width="stretch",
                key="eq_bars")
with st.expander("Table behind this chart"):
    st.dataframe(view.group_table, hide_index=True, width="stretch")
st.download_button("Download group figures (CSV)", defer_csv(view.group_table),
                   file_name="equity_groups.csv", mime="text/csv", key="eq_dl_groups")

st.subheader("Is the gap changing?")
st.plotly_chart(ratio_trend_lines(view.trend_chart, report.reference, report.launch),
                width="stretch", key="eq_trend")
with st.expander("Table behind this chart"):
    st.dataframe(view.trend_table, hide_index=True, width="stretch")
    st.markdown("**Before and after the program launch**")
    st.dataframe(view.phase_table, hide_index=True, width="stretch")
st.download_button("Download trend figures (CSV)", defer_csv(view.trend_table),
                   file_name="equity_trend.csv", mime="text/csv", key="eq_dl_trend")

st.subheader("Each area: its rate next to who lives there")
rate_map, demo_map = area_rate_maps(
    snap.areas, view.area_values, f"{measure}_rate", label, column, DEMOGRAPHICS[column][0],
    tiles=ctx.settings.tiles or None,
)
left, right = st.columns(2)
with left:
    st.markdown(f"**{label} per 1,000 residents** (\"no value shown\" in the legend: "
                "numbers too small to publish)")
    show_map(rate_map, "eq_rate_map", 420)
with right:
    st.markdown(f"**{DEMOGRAPHICS[column][0]}** (ACS 2023 5-year)")
    show_map(demo_map, "eq_demo_map", 420)
with st.expander("Table behind these maps"):
    st.dataframe(view.area_table, hide_index=True, width="stretch")
st.download_button("Download area figures (CSV)", defer_csv(view.area_table),
                   file_name="equity_areas.csv", mime="text/csv", key="eq_dl_areas")
