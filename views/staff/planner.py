"""Pilot planner (staff): teams, hours and zones -> calls served, police hours freed, cost, $1M."""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis.coverage import eligible_aggregate, teams_from_zones
from response_atlas.analysis.planner import (
    INPUT_SOURCES,
    SHARE_INPUTS,
    WEEKS_PER_YEAR,
    PlanInputs,
    assumptions_table,
    compare_plans,
    format_comparison,
    format_figure,
    snapshot_rates,
    team_breakdown,
    teams_from_table,
    teams_table,
)
from response_atlas.filters import describe_filters
from response_atlas.plans import SavedPlan, evaluate_planner, planner_part
from response_atlas.privacy import defer_csv
from response_atlas.reports.summary import summary_html
from response_atlas.schema import PROGRAM_LABELS, PROGRAMS
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header, require_staff
from response_atlas.ui.forecast_panel import show_plan_forecast
from response_atlas.ui.saved_plans import LOADED_TEAMS_KEY, render_saved_plans, save_plan_form
from response_atlas.viz.planner_figures import budget_figure, cost_per_call_figure

SAVED_KEY = "plan_saved"  # list of (name, PlanInputs, teams records, PlanResult)
SHARES = SHARE_INPUTS

ctx = get_context()
page_header(
    "Pilot planner",
    ctx,
    intro="Choose teams, their hours and zones, what a team can handle and what things cost, "
    "and see what a year of it would do: eligible calls served, police hours freed, the annual "
    "cost, and how far the **$1M pilot budget** goes. Save plans to compare them and take a "
    "one-page summary to a meeting.",
)
require_staff(ctx)

snap, filters = ctx.snapshot, ctx.filters
base_teams, zone_notes = teams_from_zones(snap.zones)
for note in zone_notes:
    st.warning(note)
zone_ids = [str(z) for z in snap.zones["zone_id"]] if not snap.zones.empty else []
if not zone_ids:
    st.info("This snapshot has no team zones. Add a zones file (team, program, schedule) and "
            "refresh the data to plan teams.")
    st.stop()

# --- 1. teams ----------------------------------------------------------------------------------
st.subheader("1. Teams, hours and zones")
st.markdown(
    "Start from the teams in the data: switch a team off, change its hours, or add a row for "
    "a new team on an existing zone. Hours are written like `Mon-Fri 07:00-15:00`, "
    "`Mon-Fri 07:00-15:00; Sat 10:00-18:00` or `24/7`. For reference, Cincinnati's ARC has run "
    "two teams since June 2024: `Mon-Fri 07:00-15:00` and `Mon-Fri 11:00-19:00`."
)
loaded = st.session_state.get(LOADED_TEAMS_KEY)  # a saved plan loaded below (section 5)
edited = st.data_editor(
    loaded if loaded is not None else teams_table(base_teams),
    key="plan_teams",
    num_rows="dynamic",
    hide_index=True,
    column_config={
        "include": st.column_config.CheckboxColumn("In the plan", default=True),
        "team_id": st.column_config.TextColumn("Team", required=True),
        "program": st.column_config.SelectboxColumn(
            "Program", options=list(PROGRAMS), format_func=PROGRAM_LABELS.get, required=True),
        "zone_id": st.column_config.SelectboxColumn("Zone", options=zone_ids, required=True),
        "schedule": st.column_config.TextColumn("Hours", required=True, width="medium"),
    },
)
teams, problems = teams_from_table(edited, zone_ids)
if problems:
    st.warning("Left out of the plan until fixed:\n" + "\n".join(f"- {p}" for p in problems))
show_plan_forecast(snap, teams, key="plan_forecast")

# --- 2. capacity and costs ---------------------------------------------------------------------
st.subheader("2. Capacity and costs")
rates = cached_query(snap, snapshot_rates, filters)
defaults = PlanInputs(**rates)
values: dict[str, float] = {}
left, mid, right = st.columns(3)
layout = {
    left: ("calls_per_shift", "shift_hours", "team_hour_cost", "budget"),
    mid: ("police_call_hour_cost", "ems_transport_cost", "jail_booking_cost",
          "police_hours_per_call"),
    right: SHARES,
}
for column, names in layout.items():
    with column:
        for name in names:
            label, source = INPUT_SOURCES[name]
            default = getattr(defaults, name)
            if name in SHARES:
                pct = st.number_input(f"{label} (%)", 0.0, 100.0, round(default * 100, 1),
                                      step=1.0, key=f"plan_{name}", help=source)
                values[name] = pct / 100
            else:
                step = 0.1 if name == "police_hours_per_call" else (
                    1.0 if name in ("calls_per_shift", "shift_hours") else 10.0)
                values[name] = st.number_input(label, 0.0, 1e9, float(round(default, 2)),
                                               step=step, key=f"plan_{name}", help=source)
inputs = PlanInputs(**values)
with st.expander("Where the defaults come from"):
    st.dataframe(assumptions_table([defaults]), hide_index=True, key="plan_sources",
                 column_config={"Source": st.column_config.TextColumn(width="large")})

if not teams:
    st.info("Put at least one team in the plan (the first column of the table) to see figures.")
    st.stop()
if inputs.shift_hours <= 0:
    st.warning("A shift must last more than 0 hours.")
    st.stop()



def aggregate(bucket: int, keep_dates: tuple):
    """The same aggregate of eligible calls as the coverage page, fine enough for the hours."""
    return cached_query(snap, eligible_aggregate, filters, bucket, keep_dates)


result, loads, weeks, programs = evaluate_planner(aggregate, filters, teams, inputs)

# --- 3. results ----------------------------------------------------------------------------------
st.subheader("3. What this plan does in a year")
st.caption(
    f"Calls in the sidebar's period ({weeks:,.1f} weeks: {describe_filters(filters)}) are "
    f"scaled to a year of {WEEKS_PER_YEAR} weeks. Eligible means eligible for the programs in "
    f"the plan ({', '.join(programs)}) under the triage rules; served calls are the eligible "
    "calls in a team's zone while it is on duty, up to what it can handle."
)
if result.eligible_per_year == 0:
    st.info("No eligible calls for these programs in the period and areas chosen in the "
            "sidebar; widen them to plan.")
r1 = st.columns(3)
r1[0].metric("Eligible calls served per year", f"{result.served_per_year:,.0f}",
             help=f"Of {result.eligible_per_year:,.0f} eligible calls a year "
             f"({format_figure('Share', result.share_served)}).")
r1[1].metric("Police hours freed per year", f"{result.police_hours_freed:,.0f}",
             help="Served calls x share handled without police x police hours per call.")
r1[2].metric("Team-hours per year", f"{result.team_hours_per_year:,.0f}",
             help=f"{result.team_hours_needed:,.0f} team-hours would answer every call in the "
             "zones and hours at the capacity set above.")
r2 = st.columns(3)
r2[0].metric("Annual cost", format_figure("($)", result.annual_cost),
             help="Team-hours per year x cost per team-hour.")
r2[1].metric("Cost per call: team vs police",
             f"{format_figure('($)', result.cost_per_call)} vs "
             f"{format_figure('($)', result.police_cost_per_call)}")
r2[2].metric("Months the $1M pilot covers" if inputs.budget == 1_000_000
             else "Months the budget covers",
             format_figure("Months", result.months_budget_lasts))
gap = result.funding_gap_per_year
if gap > 0:
    st.error(
        f"**Funding gap: {format_figure('($)', gap)} a year** beyond the "
        f"{format_figure('($)', inputs.budget)} budget. A year of the budget pays for "
        f"{result.budget_share_of_plan:.0%} of this plan: about "
        f"{result.served_with_budget:,.0f} served calls and {result.team_hours_with_budget:,.0f} "
        "team-hours."
    )
else:
    st.success(
        f"The {format_figure('($)', inputs.budget)} budget pays for this plan for "
        f"{format_figure('Months', result.months_budget_lasts)} months; after the pilot it "
        f"needs {format_figure('($)', result.annual_cost)} a year."
    )
if result.served_per_year < result.covered_per_year - 1e-9:
    st.warning(
        f"Capacity limits this plan: {result.covered_per_year:,.0f} eligible calls a year fall "
        f"in the zones and hours, but at {inputs.calls_per_shift:g} calls a shift the teams "
        f"can take {result.served_per_year:,.0f} of them (see the table per team)."
    )
per_team = team_breakdown(loads, weeks, inputs)
st.dataframe(
    per_team, hide_index=True, key="plan_per_team",
    column_config={
        "team_id": "Team", "program": "Program",
        "weekly_hours": st.column_config.NumberColumn("Hours a week", format="%.1f"),
        "covered": st.column_config.NumberColumn("In zone and on duty, a year", format="%.0f"),
        "capacity": st.column_config.NumberColumn("Can take, a year", format="%.0f"),
        "served": st.column_config.NumberColumn("Served, a year", format="%.0f"),
    },
)

# --- 4. save and compare -------------------------------------------------------------------------
st.subheader("4. Save and compare plans")
saved: list = st.session_state.setdefault(SAVED_KEY, [])
name = st.text_input("Plan name", key="plan_name", max_chars=60,
                     placeholder=f"Plan {len(saved) + 1}").strip() or f"Plan {len(saved) + 1}"
c1, c2 = st.columns([1, 4])
if c1.button("Save this plan", type="primary", key="plan_save"):
    used = {n for n, *_ in saved}
    unique, n = name, 2
    while unique in used:
        unique, n = f"{name} ({n})", n + 1
    saved.append((unique, inputs, edited.to_dict("records"), result))
    st.toast(f"Saved '{unique}'.")
if saved and c2.button("Remove all saved plans", key="plan_clear"):
    saved.clear()

named = [(n, r) for n, _, _, r in saved] or [("This plan", result)]
c3, c4 = st.columns(2)
c3.plotly_chart(budget_figure(named), key="plan_budget_fig")
c4.plotly_chart(cost_per_call_figure(result), key="plan_cost_fig")
if not saved:
    st.caption("Save a plan to compare it with others; the charts and downloads then show "
               "the saved plans.")
comparison = compare_plans(named)
st.dataframe(format_comparison(comparison), hide_index=True, key="plan_comparison",
             column_config={"figure": st.column_config.TextColumn("Per year", width="large")})
assumptions = assumptions_table([i for _, i, _, _ in saved] or [inputs])
notes = [
    f"Calls from {describe_filters(filters)}, scaled to a year of {WEEKS_PER_YEAR} weeks.",
    "Served: eligible calls in a team's zone while it is on duty, capped at calls per shift x "
    "shifts; eligible is not the same as routed, handled without police or police backup.",
    "Annual cost: team-hours x cost per team-hour. Months the budget covers: budget / annual "
    "cost x 12. Funding gap: annual cost - budget, every year at this level.",
    "Police hours freed: served calls x share handled without police x police hours per call.",
]
d1, d2 = st.columns(2)
d1.download_button("Download comparison (CSV)", data=defer_csv(comparison),
                   file_name="pilot-plans.csv", mime="text/csv", key="plan_csv")
d2.download_button(
    "Download one-page summary (HTML, print to PDF)",
    data=summary_html(
        "Community Response Atlas: pilot plans",
        f"Data as of {snap.manifest.get('data_as_of') or snap.date_range[1]}; "
        f"plans: {', '.join(n for n, _ in named)}",
        format_comparison(comparison).rename(columns={"figure": "Per year"}),
        assumptions,
        notes,
    ).encode("utf-8"),
    file_name="pilot-plans-summary.html", mime="text/html", key="plan_html",
)

# --- 5. saved plans, shared by staff -----------------------------------------------------------
st.subheader("5. Saved plans, shared by staff")
st.markdown(
    "Plans saved here are files in the data folder: they survive restarts and every staff "
    "member sees them. Compare two to four (planner and coverage what-if figures together), "
    "load one back into the planner above, or download it as a small YAML file to share."
)
save_plan_form(
    ctx.settings.data_dir,
    lambda plan_name: SavedPlan(name=plan_name,
                                planner=planner_part(inputs, edited.to_dict("records"))),
    key="plans",
)
render_saved_plans(ctx.settings.data_dir, aggregate, filters, snap.zones, snap.areas)
