"""Coverage and gaps (staff only): where and when eligible calls go unserved, and what-ifs."""

from __future__ import annotations

import math

import streamlit as st

from response_atlas.analysis.coverage import (
    ELIGIBILITY,
    aggregate_fits,
    baseline_coverage,
    calls_beyond_distance,
    coverage_by_area,
    coverage_by_hour,
    coverage_by_program,
    eligible_aggregate,
    gap_areas,
    gap_hexagons,
    uncovered_matrix,
    unplaced_uncovered,
)
from response_atlas.analysis.manifest_report import missing_zone_notes
from response_atlas.analysis.whatif import (
    KIND_LABELS,
    Scenario,
    ScenarioError,
    compare_scenarios,
    evaluate_scenario,
    format_comparison,
    needed_aggregation,
    scenario_schedules,
    scenario_teams,
    scenarios_frame,
    scenarios_to_json,
)
from response_atlas.plans import SavedPlan, list_plans, plan_scenario, what_if
from response_atlas.privacy import defer_csv
from response_atlas.schedule import ScheduleError
from response_atlas.schema import PROGRAM_LABELS, PROGRAMS
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header, require_staff
from response_atlas.ui.forecast_panel import show_plan_forecast
from response_atlas.ui.layout import show_open_tab
from response_atlas.ui.map_view import show_map
from response_atlas.ui.saved_plans import save_plan_form
from response_atlas.viz.coverage_figures import (
    REFERENCE_NOTE,
    coverage_bars,
    coverage_by_hour_bars,
    program_label,
    scenario_bars,
    uncovered_heatmap,
    zones_map,
)

SAVED_KEY = "cov_saved_scenarios"
ALL = "all"

ctx = get_context()
page_header(
    "Coverage and gaps",
    ctx,
    intro="A call is **covered** when it is eligible for a team's program, falls inside that "
    "team's zone, and arrives while the team is on duty. This page shows the eligible calls no "
    "team could have answered: where, when, how far from a base, and what a change would close.",
)
require_staff(ctx, "This page is for program staff only. Sign in as staff to see coverage gaps.")

st.caption(REFERENCE_NOTE)
snap, filters = ctx.snapshot, ctx.filters
# The snapshot's teams applied to the eligible calls, aggregated in SQL (cached per filters).
data = cached_query(snap, baseline_coverage, filters)
teams, agg, weeks = data.teams, data.rows, data.weeks
for note in data.notes:
    st.warning(note)
for note in missing_zone_notes(snap.manifest):  # zones the refresh refused (issue 21)
    st.warning(note)
if not teams:
    st.info(
        "This snapshot has no team zones with a valid schedule, so coverage cannot be "
        "computed. Add a zones file (team, program, schedule) on the Data page."
    )
    st.stop()

with st.expander("Which calls count as eligible"):
    st.markdown(
        "\n".join(f"- **{PROGRAM_LABELS[p]}**: {words}" for p, (_, words) in ELIGIBILITY.items())
    )
    st.markdown(
        "Times are local wall-clock times; a shift that crosses midnight belongs to "
        "the day it starts."
    )

program_choice = st.segmented_control(
    "Program",
    [ALL, *PROGRAMS],
    default=ALL,
    required=True,
    key="cov_prog",
    bind="query-params",
    format_func=lambda p: "All programs" if p == ALL else PROGRAM_LABELS.get(p, p),
)
program = None if program_choice in (None, ALL) else program_choice


def evaluate(scenario: Scenario):
    """Evaluate a what-if, re-aggregating (cached) when its hours need finer time buckets."""
    source = agg
    if not aggregate_fits(agg, scenario_schedules(teams, scenario)):
        source = cached_query(
            snap, eligible_aggregate, filters, *needed_aggregation(teams, scenario)
        )
    return evaluate_scenario(source, teams, scenario, weeks, areas=snap.areas)


if data.eligible == 0:
    st.info(
        "No eligible calls match the current filters. Widen the period, areas or call "
        "types in the sidebar."
    )
    st.stop()

by_program = coverage_by_program(data)
shown = by_program if program is None else by_program[by_program["program"] == program]
eligible, covered = int(shown["eligible"].sum()), int(shown["covered"].sum())
c1, c2, c3, c4 = st.columns(4)
c1.metric("Eligible calls", f"{eligible:,}")
c2.metric("Covered by a team on duty", f"{covered:,}")
c3.metric("Share covered", f"{covered / eligible:.0%}" if eligible else "n/a")
c4.metric("Team-hours per week", f"{shown['team_hours_week'].sum():,.0f}")
st.plotly_chart(coverage_bars(by_program), key="cov_bars")

def show_where_tab() -> None:
    """Map of uncovered calls by area and gap hexagon, gap areas, calls beyond a distance."""
    km = st.slider(
        "Distance ring around each team base (km, straight line)",
        1.0,
        20.0,
        5.0,
        step=0.5,
        key="cov_km",
        bind="query-params",
    )
    st.caption(
        "Distances are straight lines from a team's base, **not drive time**: a river, a "
        "hill or a highway can make a near call slow to reach."
    )
    zones = snap.zones if program is None else snap.zones[snap.zones["program"] == program]
    area_values = coverage_by_area(data, program)
    cells = gap_hexagons(data, top=200, program=program)
    fmap = zones_map(zones, snap.areas, area_values, cells, ring_km=km, tiles=ctx.settings.tiles)
    show_map(fmap, "cov_map", 520)
    st.caption(
        "Areas are shaded by uncovered eligible calls. Gap hexagons (a layer you can "
        "switch on) leave out domestic violence and overdose calls, which are never shown "
        "below area level."
    )
    left, right = st.columns(2)
    with left:
        st.markdown("##### Areas with the most uncovered eligible calls")
        gaps = gap_areas(data, top=10, program=program, by_area=area_values)
        unplaced = unplaced_uncovered(data, program, by_area=area_values)
        if unplaced:
            st.caption(
                f"Plus {unplaced:,} uncovered eligible calls with no usable location "
                "(no coordinates, or outside the county)."
            )
        gaps["share_covered"] = (gaps["share_covered"] * 100).round(0)
        st.dataframe(
            gaps.rename(
                columns={
                    "area": "Area",
                    "eligible": "Eligible",
                    "covered": "Covered",
                    "uncovered": "Uncovered",
                    "share_covered": "Share covered",
                }
            ),
            hide_index=True,
            column_config={"Share covered": st.column_config.NumberColumn(format="%.0f%%")},
        )
    with right:
        st.markdown(f"##### Eligible calls more than {km:g} km from the team base")
        distance = cached_query(
            snap,
            calls_beyond_distance,
            filters,
            zones.drop(columns="geometry").reset_index(drop=True),
            float(km),
        )
        distance = distance.assign(share_beyond=(distance["share_beyond"] * 100).round(0))
        st.dataframe(
            distance.rename(
                columns={
                    "zone_id": "Zone",
                    "team_id": "Team",
                    "program": "Program",
                    "eligible_in_zone": "Eligible in zone",
                    "beyond": f"Beyond {km:g} km",
                    "share_beyond": "Share beyond",
                }
            ),
            hide_index=True,
            column_config={"Share beyond": st.column_config.NumberColumn(format="%.0f%%")},
        )

def show_when_tab() -> None:
    """Uncovered calls by weekday and hour, with the teams' hours outlined."""
    matrix = uncovered_matrix(data, program)
    team_schedules = {
        t.team_id: t.schedule for t in teams if program is None or t.program == program
    }
    st.plotly_chart(
        uncovered_heatmap(
            matrix,
            team_schedules,
            f"Uncovered eligible calls by weekday and hour: {program_label(program)}",
        ),
        key="cov_heat",
    )
    st.caption(
        "Outlines mark the hours each team is on duty. Uncovered calls inside an outline fell "
        "outside that team's zone (or belong to another program); calls outside every "
        "outline are the time gap."
    )
    st.plotly_chart(coverage_by_hour_bars(coverage_by_hour(data, program)), key="cov_hour")

def show_whatif_tab() -> None:
    """Try a change (hours, a team, a drawn zone), save it and compare scenarios."""
    st.markdown(
        "Try a change and see at once how many more eligible calls it would cover and "
        "the team-hours it takes. Save it to compare with others."
    )
    kind = st.radio(
        "Change", list(KIND_LABELS), format_func=KIND_LABELS.get, key="cov_kind", horizontal=True
    )
    team_ids = [t.team_id for t in teams]
    n_saved = len(st.session_state.get(SAVED_KEY, []))
    name = (
        st.text_input(
            "Scenario name", key="cov_name", max_chars=60, placeholder=f"Scenario {n_saved + 1}"
        )
        or f"Scenario {n_saved + 1}"
    )
    scenario: Scenario | None = None
    if kind in ("extend", "shift"):
        team_id = st.selectbox("Team", team_ids, key="cov_team")
        current = next(t for t in teams if t.team_id == team_id)
        st.caption(f"Now on duty: {current.schedule.to_text()}")
        if kind == "extend":
            a, b = st.columns(2)
            before = a.number_input(
                "Start earlier by (minutes)", 0, 720, 0, step=15, key="cov_before"
            )
            after = b.number_input("End later by (minutes)", 0, 720, 0, step=15, key="cov_after")
            scenario = Scenario(
                name,
                "extend",
                team_id=team_id,
                minutes_before=int(before),
                minutes_after=int(after),
            )
        else:
            moved = st.number_input(
                "Move all hours by (minutes, negative = earlier)",
                -720,
                720,
                0,
                step=15,
                key="cov_shift",
            )
            scenario = Scenario(name, "shift", team_id=team_id, shift_minutes=int(moved))
    else:
        a, b = st.columns(2)
        new_program = a.selectbox(
            "Program", list(PROGRAMS), format_func=PROGRAM_LABELS.get, key="cov_new_prog"
        )
        new_schedule = b.text_input(
            "Schedule",
            value="Mon-Fri 11:00-19:00",
            key="cov_new_sched",
            help="For example 'Mon-Fri 07:00-15:00; Sat 10:00-18:00', "
            "'24/7', or 'Fri-Sat 22:00-06:00' (crosses midnight).",
        )
        if kind == "add_team":
            zone_ids = list(snap.zones["zone_id"].astype(str))
            zone_id = st.selectbox("Zone", zone_ids, key="cov_new_zone")
            scenario = Scenario(
                name, "add_team", program=new_program, schedule=new_schedule, zone_id=zone_id
            )
        else:
            st.caption(
                "Draw the new zone with the polygon or rectangle tool (top left of the "
                "map). Calls count when the center of their small H3 hexagon (about "
                "0.1 km²) is inside; domestic violence and overdose calls count by area "
                "(an area is inside when its central point is)."
            )
            # Areas shaded by the program's uncovered calls, to show where a zone would help.
            draw_map = zones_map(
                snap.zones,
                snap.areas,
                coverage_by_area(data, new_program),
                tiles=ctx.settings.tiles,
                draw=True,
            )
            drawn = show_map(draw_map, "cov_draw_map", 460, ["last_active_drawing"])
            geojson = (drawn or {}).get("last_active_drawing")
            scenario = Scenario(
                name, "draw_zone", program=new_program, schedule=new_schedule, geojson=geojson
            )

    result = None
    try:
        result = evaluate(scenario)
    except (ScenarioError, ScheduleError) as exc:
        if scenario.kind == "draw_zone" and not scenario.geojson:
            st.info(str(exc))  # nothing drawn yet: a prompt, not a problem
        else:
            st.warning(str(exc))
    if result is not None:
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(
            f"Covered now ({result.program})",
            f"{result.baseline_covered:,}",
            help=f"of {result.eligible:,} eligible calls in the period",
        )
        m2.metric(
            "Covered with the change",
            f"{result.scenario_covered:,}",
            delta=f"{result.extra_covered:+,}" if result.extra_covered else None,
        )
        m3.metric("Extra team-hours per week", f"{result.extra_team_hours:+,.1f}")
        per_hour = result.covered_per_extra_team_hour
        m4.metric(
            "Extra calls per added team-hour",
            "n/a" if math.isnan(per_hour) else f"{per_hour:.2g}",
            help="Extra covered calls divided by the added team-hours over the period.",
        )
        # a drawn zone has no forecast of its own: the forecast shows the other teams then
        show_plan_forecast(snap, teams if scenario.kind == "draw_zone"
                           else scenario_teams(teams, scenario), key="cov_forecast")
        if st.button("Save scenario", key="cov_save", icon=":material/bookmark_add:"):
            st.session_state.setdefault(SAVED_KEY, []).append(scenario.to_dict())
        share_what_if(scenario)
    add_shared_what_ifs()

    saved = [Scenario.from_dict(d) for d in st.session_state.get(SAVED_KEY, [])]
    if saved:
        st.subheader("Saved scenarios, side by side")
        results = []
        for s in saved:
            try:
                results.append(evaluate(s))
            except (ScenarioError, ScheduleError) as exc:
                st.warning(f"{s.name}: {exc}")
        if results:
            table = compare_scenarios(results)
            st.dataframe(format_comparison(table), key="cov_saved_table", height="content")
            st.plotly_chart(scenario_bars(table), key="cov_saved_bars")
            d1, d2, d3, d4 = st.columns(4)
            d1.download_button(
                "Download comparison (CSV)",
                defer_csv(table),
                "coverage_scenarios.csv",
                "text/csv",
                key="cov_dl_csv",
            )
            d2.download_button(
                "Download scenarios (JSON)",
                scenarios_to_json(saved),
                "coverage_scenarios.json",
                "application/json",
                key="cov_dl_json",
            )
            d3.download_button(
                "Download scenarios (CSV)",
                defer_csv(scenarios_frame(saved)),
                "coverage_scenario_definitions.csv",
                "text/csv",
                key="cov_dl_defs",
            )
            if d4.button("Clear saved scenarios", key="cov_clear"):
                st.session_state[SAVED_KEY] = []
                st.rerun()


def share_what_if(scenario: Scenario) -> None:
    """Save the what-if as a plan in the data folder (shared by staff; the planner compares it)."""
    with st.expander("Save for the team (shared plans)"):
        save_plan_form(
            ctx.settings.data_dir,
            lambda plan_name: SavedPlan(name=plan_name, coverage=what_if(scenario)),
            key="cov_plans",
        )


def add_shared_what_ifs() -> None:
    """Put saved plans' what-ifs into this session's side-by-side comparison."""
    shared = {i.slug: i.model for i in list_plans(ctx.settings.data_dir)
              if i.model is not None and i.model.coverage is not None}
    if not shared:
        return
    chosen = st.multiselect("Add saved what-ifs to the comparison", list(shared),
                            format_func=lambda slug: shared[slug].name, key="cov_shared")
    if chosen and st.button("Add to the comparison", key="cov_shared_add"):
        saved = st.session_state.setdefault(SAVED_KEY, [])
        saved.extend(plan_scenario(shared[slug]).to_dict() for slug in chosen)


# Only the open tab is computed: a filter change does not also redraw the heatmap and
# re-evaluate the what-if.
show_open_tab({
    "Where: gaps and distance": show_where_tab,
    "When: hour and weekday": show_when_tab,
    "What-if": show_whatif_tab,
}, key="cov_tab")
