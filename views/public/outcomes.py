"""Outcomes (public): the funnel per program and what happens after a team responds, over time."""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis import outcomes as oc
from response_atlas.analysis import trends
from response_atlas.privacy import defer_csv, escape_text
from response_atlas.publish import count_text, definition_key, publish_count, scope_key
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header
from response_atlas.ui.layout import show_open_tab
from response_atlas.viz import outcome_charts as charts

ctx = get_context()
page_header(
    "Outcomes", ctx,
    intro="What happens after a team responds, month by month, for each partnership model. "
    "Eligible, routed, handled without police and police backup are **four separate counts**.",
)
snap, filters = ctx.snapshot, ctx.filters
public = not ctx.is_staff
audience = ctx.audience

if not cached_query(snap, oc.count_calls, filters):
    st.info("No calls match the filters: widen the dates, areas or call types in the sidebar.")
    st.stop()
funnel = cached_query(snap, oc.monthly_funnel, filters)
scope = cached_query(snap, scope_key, filters)  # the key of the filtered calls (publish.py)


def published(name: str, value: float) -> float:
    """A single count on this page through the publish step, keyed by name and scope."""
    return publish_count(value, definition_key("outcomes", name, scope), audience)


def show_chart(fig, name: str, table, summary: str) -> None:
    """A chart with its one-line summary, CSV download and PNG export (the modebar camera)."""
    st.plotly_chart(fig, config=charts.png_config(name), key=f"chart_{name}")
    st.markdown(escape_text(summary))
    st.download_button(
        "Download the table (CSV)", defer_csv(table), file_name=f"{name}.csv",
        mime="text/csv", key=f"csv_{name}", on_click="ignore", icon=":material/download:",
    )


def summary(pub: oc.Published, column: str, what: str, launch, program: str) -> str:
    """The trend sentence from the published table only."""
    return trends.summarize_trend(what, pub.chart, column, oc.published_total(pub, column),
                                  audience, launch, program)


def show_trend(pub: oc.Published, monthly, column: str, launch, program: str, title: str,
               what: str, name: str) -> None:
    """One monthly count with its rolling average and the program launch marked."""
    rolling = trends.rolling_average(pub.chart[column], monthly["partial"] | pub.chart[column].isna())
    show_chart(charts.trend_figure(pub.chart, column, rolling, launch, program, title), name,
               pub.display, summary(pub, column, what, launch, program))


def note_unlinked(count: int, program: str, missing: str) -> None:
    """Say how many contacts could not be tied to a call (they are left out of the counts)."""
    if count:
        shown = count_text(published(f"unlinked_{program}", count), audience)
        st.caption(f"{shown} {program} contacts in these dates have no {missing} in the data "
                   "and are not counted above.")


def show_table(name: str, pub: oc.Published, label: str) -> None:
    with st.expander(label):
        st.dataframe(pub.display, hide_index=True)
        st.download_button(
            "Download (CSV)", defer_csv(pub.display), file_name=f"{name}.csv", mime="text/csv",
            key=f"tablecsv_{name}", on_click="ignore",
        )


# --- funnel ------------------------------------------------------------------------------------
def show_funnel_tab() -> None:
    """The four funnel counts per program."""
    st.caption(oc.NOT_DIVERSION_NOTE)
    for program in ("ARC", "QRT", "DVERT"):
        monthly = funnel[funnel["program"] == program].drop(columns="program").reset_index(drop=True)
        pub = oc.publish_monthly(monthly, oc.FUNNEL_ALL_COLUMNS, audience, scope,
                                 f"funnel_{program}")
        label = oc.program_label(program)
        st.subheader(label)
        st.caption(f"Eligible: {oc.eligibility_text(program)}.")
        show_chart(charts.funnel_figure(pub.chart, label), f"funnel_{program.lower()}",
                   pub.display, oc.summarize_funnel(label, monthly, pub))

# --- mobile crisis -------------------------------------------------------------------------------
def show_arc_tab() -> None:
    """Mobile crisis (ARC): funnel totals, rates, response times, outcomes."""
    arc = cached_query(snap, oc.mobile_crisis_summary, filters)
    # the same table as the funnel tab's ARC section: the same published figures
    pub = oc.publish_monthly(arc.monthly, oc.FUNNEL_ALL_COLUMNS, audience, scope, "funnel_ARC")
    cols = [*st.columns(3), *st.columns(3)]  # two rows: long values stay readable
    cols[0].metric("Calls routed to the team", oc.total_text(pub, "routed"))
    cols[1].metric(
        "Share of eligible calls served", oc.published_rate_text(pub, "routed", "eligible"),
        help="Routed calls / eligible calls (published counts). This is not diversion.",
    )
    cols[2].metric(
        "Police backup rate", oc.published_rate_text(pub, "police_backup", "routed"),
        help="Routed calls where the team asked for police backup / routed calls "
             "(published counts).",
    )
    handled = oc.published_total(pub, "handled_without_police")
    small_sample = public and 0 < arc.response_n <= audience.threshold
    if arc.response_median is None or small_sample:
        median_text = p90_text = "not shown" if small_sample else "no contacts"
    else:
        median_text = f"{arc.response_median:.1f} min"
        p90_text = f"{arc.response_p90:.1f} min"
    cols[3].metric("Response time, median", median_text,
                   help="Dispatch to arrival of the team, per contact.")
    cols[4].metric("Response time, 90th percentile", p90_text,
                   help="9 in 10 team arrivals were at least this fast (linear interpolation).")
    if handled != handled or arc.comparable_on_scene_min is None:
        hours_text = "not shown" if handled != handled else "no estimate"
    else:  # from the published count of calls handled without police
        hours_text = f"{handled * arc.comparable_on_scene_min / 60.0:,.1f} h"
    cols[5].metric("Estimated police hours freed", hours_text)
    comparable = count_text(published("arc_comparable", arc.comparable_calls), audience)
    st.caption(
        oc.MobileCrisis.HOURS_ASSUMPTION
        + (f" Average used: {arc.comparable_on_scene_min:.0f} minutes over {comparable} calls."
           if arc.comparable_on_scene_min is not None else "")
    )
    show_trend(pub, arc.monthly, "routed", arc.launch, "ARC",
               "Calls routed to the mobile crisis team per month", "Calls routed to the ARC team",
               "arc_routed_trend")
    out_pub = oc.publish_counts(arc.outcomes, "label", ["contacts"], audience, scope,
                                "arc_outcomes")
    show_chart(
        charts.outcomes_figure(out_pub.chart, "Outcomes of ARC team contacts"),
        "arc_outcomes", out_pub.display,
        f"ARC team contacts by outcome: {oc.total_text(out_pub, 'contacts')} contacts in all."
        + "".join(f" {n}" for n in out_pub.notes),
    )
    note_unlinked(arc.unlinked_contacts, "ARC", "911 call")

# --- QRT ---------------------------------------------------------------------------------------
def show_qrt_tab() -> None:
    """Quick Response Team: overdose follow-up."""
    qrt = cached_query(snap, oc.qrt_summary, filters)
    pub = oc.publish_monthly(qrt.monthly, oc.QRT_COLUMNS, audience, scope, "qrt")
    cols = [*st.columns(3), *st.columns(3)]
    for col, name in zip(cols[:5], oc.QRT_COLUMNS, strict=True):
        col.metric(oc.COLUMN_LABELS[name], oc.total_text(pub, name))
    cols[5].metric(
        f"Repeat overdoses ({qrt.window_days} days)",
        count_text(published("qrt_repeat_overdoses", qrt.repeat_overdoses), audience),
        help="Overdose calls at the same block as another within 90 days. Locations are never "
        "shown.",
    )
    show_trend(pub, qrt.monthly, "overdoses", qrt.launch, "QRT", "Overdose calls per month",
               "Overdose calls", "qrt_overdoses_trend")
    show_chart(
        charts.grouped_bars(pub.chart, oc.QRT_COLUMNS[1:], "QRT follow-up per month",
                            "Overdose calls per month"),
        "qrt_followup", pub.display,
        summary(pub, "visited_72h", "Overdoses visited within 72 hours", qrt.launch, "QRT"),
    )
    note_unlinked(qrt.unlinked_contacts, "QRT", "overdose call")

# --- DVERT -------------------------------------------------------------------------------------
def show_dvert_tab() -> None:
    """DVERT: domestic violence co-responses; repeats by area only."""
    dv = cached_query(snap, oc.dvert_summary, filters)
    pub = oc.publish_monthly(dv.monthly, oc.DVERT_COLUMNS, audience, scope, "funnel_DVERT")
    cols = st.columns(3)
    for col, name in zip(cols, ("dv_calls", "co_responses", "connected_to_services"),
                         strict=True):
        col.metric(oc.COLUMN_LABELS[name], oc.total_text(pub, name))
    st.caption("Domestic violence calls are never shown below area level, to anyone.")
    show_trend(pub, dv.monthly, "dv_calls", dv.launch, "DVERT", "Domestic violence calls per month",
               "Domestic violence calls", "dvert_calls_trend")
    show_chart(
        charts.grouped_bars(pub.chart, ("co_responses", "connected_to_services"),
                            "DVERT co-responses and service connections per month"),
        "dvert_responses", pub.display,
        summary(pub, "co_responses", "Advocate co-responses", dv.launch, "DVERT"),
    )
    area_pub = oc.publish_counts(dv.repeats_by_area, "area", ["dv_calls", "repeat_dv_calls"],
                                 audience, scope, "dvert_repeats_by_area")
    show_table("dvert_repeats_by_area", area_pub, "Repeat domestic violence calls by area")


# Only the open tab is computed: a filter change does not pay for three hidden ones.
show_open_tab({
    "Funnel": show_funnel_tab,
    "Mobile crisis (ARC)": show_arc_tab,
    "Quick Response Team (QRT)": show_qrt_tab,
    "Domestic violence (DVERT)": show_dvert_tab,
}, key="out_tab")
