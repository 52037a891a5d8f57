"""The forecast beside a plan: expected eligible calls inside a plan's hours and zones in the
coming weeks, and the best hours to add (one panel, used by the planner and the coverage what-if)."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from response_atlas.analysis import forecast as fc
from response_atlas.analysis.coverage import Team
from response_atlas.schema import SNAPSHOT_RULES_FILE
from response_atlas.store import cached_query


def show_plan_forecast(snapshot, teams: Iterable[Team], key: str, weeks: int = 4) -> None:
    """A toggle that, when on, forecasts each program of ``teams`` and shows the expected
    eligible calls its teams would meet in their zones and hours. Teams on a drawn zone (no
    zone id) are left out, with a note: the forecast is made per existing zone."""
    teams = list(teams)
    drawn = [t.team_id for t in teams if not t.zone_id]
    if not st.toggle(f"Forecast: expected eligible calls these teams would meet in the next "
                     f"{weeks} weeks", key=key,
                     help="From the Demand forecast page's model (the rules in force). The first "
                     "forecast of a snapshot takes a little while."):
        return
    if drawn:
        st.text("Not in the forecast (drawn zones): " + ", ".join(drawn))  # plain text: names from data
    rules_text = (snapshot.path / SNAPSHOT_RULES_FILE).read_text(encoding="utf-8")
    for program in sorted({t.program for t in teams if t.zone_id}):
        try:
            with st.spinner(f"Forecasting {program} calls..."):
                model = cached_query(snapshot, fc.forecast_for, rules_text, program, weeks)
        except fc.ForecastUnavailable as exc:
            st.info(f"{program}: no forecast ({exc})")
            continue
        plan = [fc.TeamShift(t.zone_id, t.schedule) for t in teams
                if t.program == program and t.zone_id]
        inside = fc.expected_in_plan(model, plan)
        best = fc.hours_to_add_table(fc.best_hours_to_add(model, plan, model.zone_ids))
        st.markdown(f"**{program}**, {model.first_day:%d %b} to {model.last_day:%d %b %Y}: "
                    f"{fc.format_interval(inside)} eligible calls inside the teams' hours and "
                    f"zones; 95% range {inside.lo95:,.0f} to {inside.hi95:,.0f}.")
        st.dataframe(best, hide_index=True)
