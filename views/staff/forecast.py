"""Demand forecast (staff): eligible calls by zone, weekday and hour for the coming weeks,
with intervals, a backtest, and which schedule covers most of them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from response_atlas.analysis import forecast as fc
from response_atlas.analysis.coverage import ELIGIBILITY, teams_from_zones
from response_atlas.schedule import ScheduleError
from response_atlas.schema import EXTRACT_FILES, PROGRAM_LABELS, SNAPSHOT_RULES_FILE
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header, require_staff
from response_atlas.viz.forecast_figures import expected_heatmap, forecast_line

ctx = get_context()
require_staff(ctx)
page_header(
    "Demand forecast",
    ctx,
    intro="Where and when **eligible calls** are expected in the coming weeks, by zone, weekday "
    "and hour, with 80% and 95% ranges; how well the forecast did on the last year; and how "
    "many of the expected calls a schedule would cover. The sidebar filters do not apply here: "
    "the forecast always uses all the history.",
)
snap = ctx.snapshot
in_force = (snap.path / SNAPSHOT_RULES_FILE).read_text(encoding="utf-8")
saved_file = ctx.settings.data_dir / EXTRACT_FILES["rules"]
saved = saved_file.read_text(encoding="utf-8") if saved_file.is_file() else in_force

left, middle, right = st.columns(3)
program = left.selectbox("Program", list(ELIGIBILITY), key="fc_program",
                         format_func=lambda p: PROGRAM_LABELS.get(p, p))
weeks = middle.slider("Weeks ahead", 4, 8, 4, key="fc_weeks")
rules_choice = right.radio(
    "Triage rules", ["In force (this snapshot)", "Saved for the next refresh"], key="fc_rules",
    disabled=saved == in_force,
    help="The Triage rules page saves new rules for the next refresh; choose them here to see "
    "how they would change the forecast." if saved != in_force else
    "The saved rules are the ones in force.",
)
rules_text = saved if rules_choice.startswith("Saved") else in_force
st.caption(f"Eligible for {program}: {ELIGIBILITY[program][1]}.")

try:
    with st.spinner("Forecasting (the first time for a snapshot and ruleset takes a little "
                    "while: the backtest refits the model for every month of the last year)..."):
        model = cached_query(snap, fc.forecast_for, rules_text, program, weeks)
except fc.ForecastUnavailable as exc:
    st.info(f"No forecast: {exc}")
    st.stop()

st.subheader("How well it forecasts")
st.markdown(fc.backtest_verdict(model))
for note in model.notes:
    st.warning(note)
with st.expander("Backtest table"):
    st.dataframe(fc.backtest_table(model), hide_index=True)
    st.caption("MASE: mean absolute error per hour over the in-sample error of 'the same hour a "
               "week before' (below 1 is better than that). 'days in 80%': the share of actual "
               "days inside the 80% range; 'cells': weekday x hour totals over the horizon.")

zone_choice = st.selectbox("Zone", ["All zones and elsewhere", *model.zone_ids], key="fc_zone")
zone = None if zone_choice == "All zones and elsewhere" else zone_choice
st.markdown(f"Expected eligible calls from {model.first_day:%d %b %Y} to "
            f"{model.last_day:%d %b %Y}: **{fc.format_interval(fc.monthly_total(model))}**"
            if zone is None else
            f"Expected eligible calls in zone {zone}: **"
            f"{fc.format_interval(fc.expected_in_plan(model, fc.teams_from_pairs([(zone, '24/7')])))}**")
st.plotly_chart(forecast_line(model.history(zone), fc.daily_table(model, zone)), key="fc_line")

teams, notes = teams_from_zones(snap.zones)
current = [t for t in teams if t.program == program and t.zone_id in model.zone_ids]
shown = {t.team_id: t.schedule for t in current if zone is None or t.zone_id == zone}
st.plotly_chart(expected_heatmap(fc.cell_table(model, zone), shown, weeks), key="fc_heat")

st.subheader("Which schedule covers most of them")
st.caption("Edit the teams (zone and weekly hours, e.g. 'Mon-Fri 07:00-15:00' or '24/7'); the "
           "figures count the expected eligible calls in each team's zone while it works.")
edited = st.data_editor(
    pd.DataFrame({"zone_id": [t.zone_id for t in current],
                  "schedule": [t.schedule.to_text() for t in current]}),
    num_rows="dynamic", hide_index=True, key="fc_plan",
    column_config={"zone_id": st.column_config.SelectboxColumn("Zone", options=model.zone_ids),
                   "schedule": st.column_config.TextColumn("Hours")},
)
rows = edited.dropna(subset=["zone_id", "schedule"])
try:
    plan = fc.teams_from_pairs(zip(rows["zone_id"], rows["schedule"], strict=True))
except ScheduleError as exc:
    st.error(f"A schedule could not be read: {exc}")
    st.stop()
covered = fc.expected_in_plan(model, plan)
st.metric("Expected eligible calls inside these hours and zones", f"{covered.mean:,.0f}",
          help=f"Next {weeks} weeks. 80% range {covered.lo80:,.0f} to {covered.hi80:,.0f}; "
          f"95% range {covered.lo95:,.0f} to {covered.hi95:,.0f}.")
st.caption(f"80% range {covered.lo80:,.0f} to {covered.hi80:,.0f}; 95% range "
           f"{covered.lo95:,.0f} to {covered.hi95:,.0f}.")
best = fc.best_hours_to_add(model, plan, model.zone_ids)
st.markdown("**The three best hours to add** (most expected eligible calls while no team works):")
st.dataframe(fc.hours_to_add_table(best), hide_index=True)
