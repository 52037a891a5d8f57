"""The forecast beside a plan: expected eligible calls inside a plan's hours and zones in the
coming weeks, and the best hours to add (one panel, used by the planner and the coverage what-if)."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from response_atlas.analysis import forecast as fc
from response_atlas.schedule import ScheduleError
from response_atlas.schema import SNAPSHOT_RULES_FILE
from response_atlas.store import cached_query


def show_plan_forecast(snapshot, teams: Iterable[tuple[str, str, str]], key: str,
                       weeks: int = 4) -> None:
    """A toggle that, when on, forecasts each program of ``teams`` (``program, zone_id,
    schedule`` rows) and shows the expected eligible calls its teams would cover."""
    rows = [(str(p), str(z), str(s)) for p, z, s in teams if p and z and s]
    if not st.toggle(f"Forecast: expected eligible calls these teams would meet in the next "
                     f"{weeks} weeks", key=key,
                     help="From the Demand forecast page's model (the rules in force). The first "
                     "forecast of a snapshot takes a little while."):
        return
    rules_text = (snapshot.path / SNAPSHOT_RULES_FILE).read_text(encoding="utf-8")
    for program in sorted({p for p, _, _ in rows}):
        try:
            with st.spinner(f"Forecasting {program} calls..."):
                model = cached_query(snapshot, fc.forecast_for, rules_text, program, weeks)
            plan = fc.teams_from_pairs((z, s) for p, z, s in rows if p == program)
        except fc.ForecastUnavailable as exc:
            st.info(f"{program}: no forecast ({exc})")
            continue
        except ScheduleError as exc:
            st.error(f"{program}: a schedule could not be read ({exc})")
            continue
        inside = fc.expected_in_plan(model, plan)
        best = fc.hours_to_add_table(fc.best_hours_to_add(model, plan, model.zone_ids))
        st.markdown(f"**{program}**, {model.first_day:%d %b} to {model.last_day:%d %b %Y}: "
                    f"{fc.format_interval(inside)} eligible calls inside the teams' hours and "
                    f"zones; 95% range {inside.lo95:,.0f} to {inside.hi95:,.0f}.")
        st.dataframe(best, hide_index=True)
