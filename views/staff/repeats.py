"""Repeat addresses (staff only): where calls come again and again, and what a team contact changed."""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis.repeats import (
    WINDOW_12_MONTHS,
    WINDOW_90_DAYS,
    RepeatRule,
    area_totals,
    before_after,
    compute_concentration,
    location_timeline,
    rank_repeat_locations,
    summarize_repeats,
)
from response_atlas.privacy import defer_csv, escape_text
from response_atlas.schema import OUTCOME_LABELS, PROGRAM_LABELS, TIER_LABELS
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header, require_staff
from response_atlas.ui.layout import separated_number_columns
from response_atlas.ui.map_view import show_map
from response_atlas.viz.maps import bounds_of
from response_atlas.viz.repeats_figures import (
    MAP_MARKER_CAP,
    before_after_figure,
    concentration_figure,
    ranked_table,
    repeat_map,
    timeline_figure,
)

VIEWS = ["Ranked list", "Map", "Concentration", "Before and after contact", "Area totals"]
WINDOWS = {"90 days": WINDOW_90_DAYS, "12 months": WINDOW_12_MONTHS, "Custom": None}
CAVEAT = (
    "**Read this with care: it does not show that contact caused the change.** Teams usually reach "
    "a location when its calls are at a peak, and calls at a place that is unusually busy tend to "
    "fall back on their own afterwards (regression to the mean). The comparison locations had no "
    "contact but were not chosen at random, and other things (a move, an eviction, the season) "
    "can differ. Treat a difference as a reason to look closer, not as an effect of the program."
)
PRIVACY_NOTE = (
    "Domestic violence and substance use / overdose calls are never shown at block level: they "
    "are left out of this list, the map, the drill-down and the downloads, and counted only in "
    "the area totals. Addresses are published masked to the block."
)

ctx = get_context()
page_header(
    "Repeat addresses", ctx,
    intro="Blocks that call again and again, how concentrated calls are, and whether calls "
    "changed after a team's first contact.",
)
require_staff(ctx, "This page is for program staff only. Sign in as staff to see repeat locations.")

snap, filters = ctx.snapshot, ctx.filters

# --- settings --------------------------------------------------------------------------------
c1, c2, c3 = st.columns([1, 2, 1])
threshold = c1.number_input(
    "Calls needed", min_value=2, max_value=100, value=3, step=1, key="rep_n",
    bind="query-params", help="A block is a repeat location when it has at least this many calls "
    "within the window.",
)
window_label = c2.radio(
    "Within", list(WINDOWS), horizontal=True, key="rep_win", bind="query-params",
    help="Rolling window of whole days: with 90 days, calls on day 0 and day 89 count together, "
    "a call on day 90 starts a new window. 12 months = 365 days.",
)
window_days = WINDOWS.get(window_label) or c3.number_input(
    "Days in window", min_value=1, max_value=3660, value=30, step=1, key="rep_days",
    bind="query-params",
)
rule = RepeatRule(int(threshold), int(window_days))

ranking = cached_query(snap, rank_repeat_locations, filters, rule)
ranked = ranking.ranked
summary = summarize_repeats(ranked, ranking.block)

m1, m2, m3 = st.columns(3)
m1.metric("Repeat locations", f"{summary['repeat_locations']:,}",
          help=f"Blocks with {rule.describe()}.")
m2.metric("Calls at repeat locations", f"{summary['repeat_calls']:,}",
          help="All their calls in the period (block-level calls only).")
m3.metric("Share of block-level calls", f"{summary['share_of_calls']:.0%}",
          help=f"Out of {summary['block_calls']:,} calls at "
          f"{summary['block_locations']:,} blocks in the period.")
st.caption(PRIVACY_NOTE)

# One section at a time (not st.tabs): only the chosen one is computed, and a Leaflet map is
# never drawn inside a hidden tab (it would get a zero size and lose its fitted view).
view = st.radio(
    "Show", VIEWS, horizontal=True, key="rep_view", bind="query-params",
    label_visibility="collapsed",
)

# --- ranked list + drill-down ----------------------------------------------------------------
if view == "Ranked list":
    if ranked.empty:
        st.info(f"No block has {rule.describe()} with these filters. Try a lower number of calls, "
                "a longer window or a wider period.")
    else:
        table = ranked_table(ranked)
        event = st.dataframe(
            table, hide_index=True, on_select="rerun", selection_mode="single-row",
            key="rep_table", width="stretch",
            column_config={
                "Rank": st.column_config.NumberColumn(width=50),
                **separated_number_columns(table, ("Calls",)),
                "Most in one window": st.column_config.NumberColumn(
                    format="localized", help=f"Most calls in one {rule.window_days}-day window"),
                "Alternative-eligible (%)": st.column_config.NumberColumn(
                    format="%d%%", help="Share of the location's calls eligible for "
                    "alternative response under the triage rules"),
                "Call types": st.column_config.TextColumn(width="large",
                                                          help="Most frequent first"),
            },
        )
        st.download_button(
            "Download this list (CSV)", defer_csv(table), file_name="repeat_locations.csv",
            mime="text/csv", key="rep_dl_list",
        )

        st.subheader("One location over time")
        options = list(ranked["address"])
        rows = event.selection.rows if event is not None else []
        if rows:  # a click in the table picks the location (once per new click)
            picked = options[rows[0]]
            if st.session_state.get("_rep_last_pick") != picked:
                st.session_state["_rep_last_pick"] = picked
                st.session_state["rep_drill"] = picked
        if st.session_state.get("rep_drill") not in options:
            st.session_state.pop("rep_drill", None)
        address = st.selectbox(
            "Location", options, key="rep_drill",
            help="Or click a row in the table above.",
        )
        timeline = cached_query(snap, location_timeline, filters, address)
        st.plotly_chart(timeline_figure(timeline), width="stretch", key="rep_timeline")
        n_contacts = len(timeline.contacts)
        st.markdown(
            f"**{escape_text(address)}**: {len(timeline.calls):,} calls in the period; "
            f"{n_contacts:,} team contact{'s' if n_contacts != 1 else ''} (dotted lines)."
        )
        with st.expander("Calls and contacts at this location"):
            st.dataframe(
                timeline.calls.assign(tier=timeline.calls["tier"].map(TIER_LABELS))[
                    ["received_at", "category_label", "tier", "incident_code", "disposition"]
                ].rename(columns={"received_at": "Received", "category_label": "Call type",
                                  "tier": "Tier", "incident_code": "Incident code",
                                  "disposition": "Disposition"}),
                hide_index=True, width="stretch",
            )
            if n_contacts:
                st.dataframe(
                    timeline.contacts.assign(
                        program=timeline.contacts["program"].map(lambda p: PROGRAM_LABELS.get(p, p)),
                        outcome=timeline.contacts["outcome"].map(lambda o: OUTCOME_LABELS.get(o, o)),
                    )[["contact_at", "team_id", "program", "outcome"]].rename(columns={
                        "contact_at": "Contact", "team_id": "Team", "program": "Program",
                        "outcome": "Outcome"}),
                    hide_index=True, width="stretch",
                )

# --- map -------------------------------------------------------------------------------------
elif view == "Map":
    if ranked.empty:
        st.info("No repeat location to map with these filters.")
    else:
        areas = snap.areas
        if filters.areas:
            areas = areas[areas["area"].isin(filters.areas)]
        fmap = repeat_map(ranked, bounds=bounds_of(areas), tiles=ctx.settings.tiles or None)
        show_map(fmap, "rep_map", 540)
        shown = min(len(ranked), MAP_MARKER_CAP)
        st.caption(
            f"One circle per repeat location ({shown:,} of {len(ranked):,} shown, busiest first), "
            "at the block's published coordinates, which the publisher offsets on purpose."
        )

# --- concentration ---------------------------------------------------------------------------
elif view == "Concentration":
    share_pct = st.select_slider("Busiest share of locations", [1, 5, 10, 20, 25, 50], value=5,
                                 format_func=lambda p: f"{p}%", key="rep_share")
    conc = cached_query(snap, compute_concentration, filters, share_pct / 100)
    if not conc.county.locations:
        st.info("No block-level calls match these filters.")
    else:
        st.markdown(f"#### {escape_text(conc.county.sentence())}")
        st.caption("Among blocks with at least one call in the period (all block-level calls, "
                   "not only repeat locations). For reference: in Minneapolis 5% of addresses "
                   "produced 64% of calls.")
        st.plotly_chart(concentration_figure(conc), width="stretch", key="rep_conc")
        by_area = conc.by_area.assign(
            address_share=(conc.by_area["address_share"] * 100).round(0),
            call_share=(conc.by_area["call_share"] * 100).round(0),
        )
        by_area.columns = ["Area", "Blocks with calls", "Calls", "Busiest blocks",
                           "Their calls", "Share of blocks (%)", "Share of calls (%)"]
        st.markdown("**Per area**")
        st.dataframe(by_area, hide_index=True, width="stretch")
        st.download_button("Download per-area figures (CSV)", defer_csv(by_area),
                           file_name="repeat_concentration_by_area.csv", mime="text/csv",
                           key="rep_dl_conc")

# --- before / after --------------------------------------------------------------------------
elif view == "Before and after contact":
    b1, b2 = st.columns(2)
    ba_days = b1.radio("Compare", [30, 90], index=1, horizontal=True, key="rep_ba_days",
                       format_func=lambda d: f"{d} days before vs after")
    match_on = b2.radio("Comparison locations", ["area", "band"], horizontal=True,
                        key="rep_ba_match",
                        format_func={"area": "Same area", "band": "Same number of calls"}.get)
    st.warning(CAVEAT)
    result = cached_query(snap, before_after, filters, rule, int(ba_days), match_on)
    left = ", ".join(f"{n} ({reason})" for reason, n in result.left_out.items() if n)
    if result.empty:
        st.info("No repeat location with a team contact can be compared yet. A location needs "
                f"{ba_days} days of data before and after its first contact and at least one "
                "similar repeat location without contact." + (f" Left out: {left}." if left else ""))
    else:
        s = result.summary
        k1, k2, k3 = st.columns(3)
        k1.metric("Locations with a contact", f"{s['locations']:,}")
        k2.metric("Change after contact", f"{s['treated_change']:+.1f} calls",
                  help="Mean calls per location, after minus before.")
        k3.metric("Difference vs comparison", f"{s['did']:+.1f} calls",
                  help="Change at contacted locations minus change at the comparison locations.")
        st.plotly_chart(before_after_figure(result), width="stretch", key="rep_ba")
        if left:
            st.caption(f"Left out: {left}.")
        ba_table = result.locations.round(
            {"comparison_before": 1, "comparison_after": 1}).rename(columns={
            "address": "Address (block)", "area": "Area", "band": "Calls band",
            "first_contact": "First contact", "before": "Calls before", "after": "Calls after",
            "comparison_locations": "Comparison locations",
            "comparison_before": "Comparison mean before",
            "comparison_after": "Comparison mean after"})
        st.dataframe(ba_table, hide_index=True, width="stretch")
        st.download_button("Download before/after (CSV)", defer_csv(ba_table),
                           file_name="repeat_before_after.csv", mime="text/csv", key="rep_dl_ba")

# --- area totals -----------------------------------------------------------------------------
else:  # Area totals
    totals = cached_query(snap, area_totals, filters, rule)
    st.caption("Every call in the period counts here, domestic violence and substance use / "
               "overdose included; those two never appear below area level.")
    if totals.empty:
        st.info("No calls match these filters.")
    else:
        totals.columns = ["Area", "All calls", "Domestic violence", "Substance use / overdose",
                          "Block-level calls", "Repeat locations", "Calls at repeat locations"]
        st.dataframe(totals, hide_index=True, width="stretch")
        st.download_button("Download area totals (CSV)", defer_csv(totals),
                           file_name="repeat_area_totals.csv", mime="text/csv", key="rep_dl_areas")
