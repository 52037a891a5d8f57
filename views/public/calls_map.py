"""Calls map: where and when calls happen, by area, hexagon and hour (issue 4).

Thin page: read filters -> analysis.calls / analysis.hotspots (cached) -> viz.calls_figures.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import streamlit as st

from response_atlas.analysis import calls, hotspots
from response_atlas.analysis.periods import default_periods
from response_atlas.filters import WEEKDAY_NAMES, month_end, month_start
from response_atlas.privacy import defer_csv, escape_text
from response_atlas.publish import count_text, method_note
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header
from response_atlas.ui.layout import separated_number_columns
from response_atlas.ui.map_view import show_map
from response_atlas.viz import calls_figures as figs

SELECT_KEY = "calls_area_select"  # the "Area details" selectbox (keyboard fallback)
LAST_CLICK_KEY = "_calls_map_last_click"  # the last map click already applied to the selection
INTRO = (
    "Where and when 911 calls come in. Color areas by the number of calls or by calls per 1,000 "
    "residents, add hexagons, a heat layer or statistical hot spots, and click an area (or pick "
    "it under *Area details*) to see its calls by type, tier, month and hour. Every choice is in "
    "the page link, so a copied link opens the same view."
)
SENSITIVE_NOTE = (
    "Domestic violence and overdose / substance use calls are never shown below area level: the "
    "hexagon, heat and hot-spot layers leave them out, for everyone."
)

ctx = get_context()
snapshot = ctx.snapshot
public = not ctx.is_staff
audience = ctx.audience
threshold = audience.threshold

# the bound widgets drop bad link values silently: say so, like the shared filters do
link_hours, link_days = st.query_params.get_all("hours"), st.query_params.get_all("days")
with st.sidebar:
    st.subheader("Time of day")
    hours = st.slider("Hours of day", 0, 23, (0, 23), key="hours", bind="query-params",
                      help="Local time; both ends included (8 to 17 means 08:00-17:59).")
    days = st.multiselect("Days of week", list(WEEKDAY_NAMES), key="days", bind="query-params",
                          placeholder="All days")
    if link_hours and [h.strip().lstrip("0") or "0" for h in link_hours] != [str(h) for h in hours]:
        st.info(f"Ignored the hours '{escape_text('-'.join(link_hours))}' in the link: "
                "hours run from 0 to 23.")
    if [d for d in link_days if d not in WEEKDAY_NAMES]:
        st.info(f"Ignored the days '{escape_text(', '.join(link_days))}' in the link.")
# the public grid widens hours to six-hour bands and leaves DV / overdose out below whole days
filters = ctx.narrowed(
    hours=(int(hours[0]), int(hours[1])),
    weekdays=tuple(sorted(WEEKDAY_NAMES.index(d) for d in days)),
)
if public and tuple(filters.hours) != (int(hours[0]), int(hours[1])):
    st.sidebar.caption(f"Public views count six-hour bands: hours {filters.hours[0]:02d}:00 to "
                       f"{filters.hours[1]:02d}:59.")
page_header("Calls map", dataclasses.replace(ctx, filters=filters), INTRO)

controls = st.columns([1, 2])
measure = controls[0].radio(
    "Color areas by", list(figs.MEASURES), format_func=figs.MEASURE_LABELS.get, key="measure",
    bind="query-params", horizontal=True,
)
layers = controls[1].multiselect(
    "Map layers", list(figs.LAYERS), default=["areas"], format_func=figs.LAYER_LABELS.get,
    key="layers", bind="query-params",
    help="Areas: neighborhoods and municipalities. Hexagons: about 0.1 km² each. Heat: a smooth "
         "surface from the hexagon counts. Hot spots: clusters unlikely to be chance.",
)

totals = cached_query(snapshot, calls.total_calls, filters)
if totals["calls"] == 0:
    st.info("No calls match these filters. Widen the dates, hours or days, or clear the call "
            "type, tier or area filters in the sidebar.")
    st.stop()

counts = calls.publish_area_counts(cached_query(snapshot, calls.area_counts, filters), audience)
area_names = list(counts["area"])


@st.fragment
def map_and_panel() -> None:
    """The map and the selected area's panel: a click on the map reruns only this part."""
    hexes = None
    if {"hexagons", "heat"} & set(layers):
        hexes = calls.publish_hexes(cached_query(snapshot, calls.hex_counts, filters), audience)
    spots = cached_query(snapshot, hotspots.calls_hotspots, filters, audience=audience) \
        if "hotspots" in layers else None
    m = figs.build_calls_map(snapshot.areas, counts, measure, layers, hexes, spots,
                             audience=audience, tiles=ctx.settings.tiles or None)
    event = show_map(m, "calls_map", 560, ["last_active_drawing"])
    notes = [SENSITIVE_NOTE]
    if public and {"hexagons", "heat"} & set(layers):
        notes.append(f"Hexagons with 1 to {threshold} calls are not drawn (nor used for the heat).")
    if public:
        notes.append(f"Areas with 1 to {threshold} calls show '{audience.small_label}' and are "
                     "gray. " + method_note(audience))
    if totals["outside"] or totals["outside_areas"] or totals["no_location"]:
        unmapped = calls.published_totals(totals, audience)
        notes.append(f"Not on the map: {unmapped['outside_areas']} calls in the county but "
                     f"outside the areas, {unmapped['outside']} outside the county and "
                     f"{unmapped['no_location']} without a location.")
    st.caption(" ".join(notes))
    if spots is not None:
        if spots.message:
            st.info(f"Hot spots: {spots.message}")
        with st.expander("What the hot spots mean"):
            st.markdown(spots.explanation)

    clicked = _clicked_area(event)
    if clicked and clicked != st.session_state.get(LAST_CLICK_KEY):
        st.session_state[LAST_CLICK_KEY] = clicked
        st.session_state[SELECT_KEY] = clicked
    area = st.selectbox("Area details", [None, *area_names], key=SELECT_KEY,
                        format_func=lambda a: "Click an area on the map, or choose one here"
                        if a is None else a)
    if area:
        render_panel(area)


def _clicked_area(event: dict | None) -> str | None:
    """The area name of the clicked polygon (properties are HTML-escaped on the map)."""
    feature = (event or {}).get("last_active_drawing") or {}
    shown = (feature.get("properties") or {}).get("area")
    if not shown:
        return None
    by_escaped = {escape_text(a): a for a in area_names}
    return by_escaped.get(shown)


def _count_text(value: float) -> str:
    return count_text(value, audience)


def render_panel(area: str) -> None:
    """Counts by category and tier, trend, busiest hours, top codes, rate vs county."""
    panel = calls.publish_panel(cached_query(snapshot, calls.area_panel, filters, area), audience)
    st.subheader(escape_text(area))
    hidden = panel.calls != panel.calls  # NaN: suppressed
    cols = st.columns(3)
    cols[0].metric("Calls", _count_text(panel.calls))
    cols[1].metric("Per 1,000 residents",
                   "not shown" if hidden else f"{panel.rate_per_1000:,.1f}",
                   help="Calls in the chosen period per 1,000 residents.")
    ratio = panel.rate_ratio
    cols[2].metric("County rate per 1,000", f"{panel.county_rate_per_1000:,.1f}",
                   help="All areas together, same filters.")
    if not hidden and ratio == ratio:  # NaN check: no ratio without residents
        st.markdown(f"This area's rate is **{ratio:.1f} times** the county rate.")
    if panel.calls == 0:
        st.info("No calls in this area with these filters.")
        return
    left, right = st.columns(2)
    left.plotly_chart(figs.panel_bar(panel.by_category, "category", figs.category_labels(),
                                     "By call type", audience),
                      key="panel_categories")
    right.plotly_chart(figs.panel_bar(panel.by_tier.astype({"tier": str}), "tier",
                                      figs.tier_labels(), "By eligibility tier", audience),
                       key="panel_tiers")
    trend = panel.trend.assign(category="all")
    st.plotly_chart(figs.monthly_trend_figure(trend).update_layout(
        title="Calls per month", showlegend=False, height=260), key="panel_trend")
    busiest = ", ".join(f"{h:02d}:00 ({_count_text(c)})" for h, c in
                        panel.busiest_hours.itertuples(index=False))
    st.markdown(f"**Busiest hours:** {busiest}")
    codes = calls.text_columns(panel.top_codes, "calls", (), audience)
    st.dataframe(codes.rename(columns={"incident_code": "Incident code", "calls": "Calls"}),
                 hide_index=True, key="panel_codes")


map_col, side_col = st.columns([3, 2])
with map_col:
    map_and_panel()
with side_col:
    matrix = cached_query(snapshot, calls.hour_weekday_matrix, filters, audience)
    st.plotly_chart(figs.hour_weekday_figure(matrix, audience), key="hour_weekday")
    trend = calls.publish_trend(cached_query(snapshot, calls.monthly_trend, filters), audience)
    st.plotly_chart(figs.monthly_trend_figure(trend), key="monthly_trend")
    if public:
        st.caption(f"Cells and months with 1 to {threshold} calls are left blank. Domestic "
                   "violence and overdose calls are not in the hour-by-day chart (area by month "
                   "only).")

st.subheader("Calls by area")
table = calls.area_table(counts, audience)
st.dataframe(table, hide_index=True, key="area_table",
             column_config=separated_number_columns(
                 table, ("Residents", "Calls", "Calls per 1,000 residents")))
st.download_button("Download this table (CSV)", defer_csv(table), "calls_by_area.csv",
                   "text/csv", key="area_table_csv")

st.subheader("Compare two periods")
first, last = snapshot.date_range
(b0, b1), (a0, a1) = default_periods(first, last)
c = st.columns(4)
before_from = c[0].date_input("Before: from", b0, first, last, key="before_from",
                              bind="query-params", format="YYYY-MM-DD")
before_to = c[1].date_input("Before: to", b1, first, last, key="before_to",
                            bind="query-params", format="YYYY-MM-DD")
after_from = c[2].date_input("After: from", a0, first, last, key="after_from",
                             bind="query-params", format="YYYY-MM-DD")
after_to = c[3].date_input("After: to", a1, first, last, key="after_to",
                           bind="query-params", format="YYYY-MM-DD")
periods_ok = all(isinstance(d, date) for d in (before_from, before_to, after_from, after_to)) \
    and before_from <= before_to and after_from <= after_to
if not periods_ok:
    st.warning("Each period needs a start date on or before its end date.")
else:
    before, after = (before_from, before_to), (after_from, after_to)
    if public:  # the public grid: whole months, so a one-day shift of a period reveals nothing
        before = (month_start(before[0]), month_end(before[1]))
        after = (month_start(after[0]), month_end(after[1]))
        st.caption(f"Public views compare whole months: {before[0]:%d %b %Y} to "
                   f"{before[1]:%d %b %Y} against {after[0]:%d %b %Y} to {after[1]:%d %b %Y}.")
    st.caption("Other filters (areas, call types, tiers, hours, days) apply to both periods. "
               "Defaults: the latest quarter against the same dates a year earlier, or the "
               "latest weeks against the weeks before them when the data are shorter.")
    if (before[1] - before[0]) != (after[1] - after[0]):
        st.caption("The two periods differ in length: compare rates with care.")
    comparison = calls.publish_comparison(
        cached_query(snapshot, calls.period_comparison, filters, before, after), audience)
    diff_col, table_col = st.columns([3, 2])
    with diff_col:
        show_map(figs.difference_map(snapshot.areas, comparison, ctx.settings.tiles or None),
                 "diff_map", 460)
    with table_col:
        shown = comparison
        for column in ("calls_before", "calls_after"):
            shown = calls.text_columns(shown, column, ("change", "pct_change",
                                                       f"rate_{column[6:]}", "rate_change"),
                                       audience)
        shown["small_numbers"] = shown["small_numbers"].map(
            {True: "small numbers: read with care", False: ""})
        shown = shown.rename(columns={
            "area": "Area", "population": "Residents", "calls_before": "Calls before",
            "calls_after": "Calls after", "change": "Change", "pct_change": "Change %",
            "rate_before": "Per 1,000 before", "rate_after": "Per 1,000 after",
            "rate_change": "Change per 1,000", "small_numbers": "Note"})
        st.dataframe(shown, hide_index=True, key="compare_table", column_config=separated_number_columns(
            shown, ("Residents", "Calls before", "Calls after", "Change")))
        st.caption(f"'Small numbers': fewer than {calls.SMALL_NUMBER} calls in a period, so the "
                   "change is mostly chance.")
