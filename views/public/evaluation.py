"""Is it working? (public; staff see more): a difference-in-differences evaluation of a program.

Thin page: choices -> ``analysis.evaluation.build_evaluation`` (cached) -> ``publish_evaluation``
(area groups and months only for the public, small counts hidden) -> render.
"""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis import evaluation as ev
from response_atlas.privacy import defer_csv, escape_text
from response_atlas.store import cached_query
from response_atlas.ui.context import get_context, page_header
from response_atlas.viz import evaluation_figures as figs

ctx = get_context()
page_header(
    "Is it working?", ctx,
    intro="Did a program change what happens in the areas it serves? Served areas are compared "
    "with similar areas it does not serve, before and after its launch. The sidebar filters do not "
    "apply here: the comparison needs every month and area.",
)
snap = ctx.snapshot
threshold = ctx.settings.suppress_below
programs = ev.list_programs(snap)
if not programs:
    st.info("This snapshot has no program file (programs.yaml in the data folder, see "
            "docs/programs.md): there is nothing to evaluate.")
    st.stop()

names = {p.program_id: p.name for p in programs}
left, right = st.columns(2)
program_id = left.selectbox("Program", list(names), format_func=names.get, key="eval_program",
                            bind="query-params")
outcome = right.selectbox("Outcome", list(ev.OUTCOMES), key="eval_outcome", bind="query-params",
                          format_func=lambda k: ev.OUTCOMES[k].label)
st.caption(escape_text(ev.OUTCOMES[outcome].help))

comparison = None
if ctx.is_staff:
    auto = cached_query(snap, ev.build_evaluation, program_id, outcome, None, 0)
    if auto.problem is None:
        comparison = tuple(st.multiselect(
            "Comparison areas (chosen by how closely their months before the launch track the "
            "served areas'; edit to test the choice)", auto.candidates,
            default=list(auto.design.comparison), key=f"eval_cmp_{program_id}_{outcome}")) or None

with st.spinner("Estimating (a few seconds: each randomization draw is a model fit)..."):
    model = cached_query(snap, ev.build_evaluation, program_id, outcome, comparison)
shown = ev.publish_evaluation(model, public=not ctx.is_staff, threshold=threshold)
result = shown.evaluation
spec = result.program

if result.problem:
    st.warning(f"The data cannot tell: {escape_text(result.problem)}")
    st.stop()

est = result.est

# --- the answer in words -------------------------------------------------------------------------
for line in result.verdict:
    show = (st.error if line.startswith("Implausible")
            else st.warning if line.startswith(("Warning", "The data cannot", "Only")) else st.success)
    show(escape_text(line))


def interval_text(iv, fmt: str = "{:+,.1f}") -> str:
    return f"{fmt.format(iv.estimate)} ({fmt.format(iv.low)} to {fmt.format(iv.high)})"


def show_metric(col, label: str, iv, fmt: str, help_text: str | None = None) -> None:
    """The estimate large, its 95% interval under it."""
    col.metric(label, fmt.format(iv.estimate),
               delta=f"95%: {fmt.format(iv.low)} to {fmt.format(iv.high)}", delta_color="off",
               delta_arrow="off", help=help_text)


unit = result.outcome.unit
cols = st.columns(3)
show_metric(cols[0], f"Effect, {unit} per area and month", est.att, "{:+,.2f}",
            "Served minus what the comparison areas predict, 95% interval (spanning the "
            "clustered and the randomization interval).")
if est.relative is not None:
    show_metric(cols[1], "Relative to the expected level", est.relative, "{:+.0%}",
                f"Against {est.counterfactual:,.2f} {unit} per area and month expected without "
                "the program.")
if result.per_month is not None:
    show_metric(cols[2], "Calls a month, all served areas", result.per_month, "{:+,.0f}")
    cols = st.columns(3)
    show_metric(cols[0], "Police hours a month", result.hours_per_month, "{:+,.0f}",
                f"{result.hours_per_call:.2f} police hours per eligible call (travel + on scene, "
                "from this snapshot, as the Pilot planner uses). Negative: hours freed.")
    show_metric(cols[1], "Police cost a month ($)", result.cost_per_month, "{:+,.0f}",
                f"${result.cost_per_hour:,.0f} per police call-hour (the planner's figure).")
    plaus = result.plausibility
    cols[2].metric("Team caseload, calls a month", f"{plaus.caseload_per_month:,.0f}",
                   help="Team contacts in the served areas after launch (from team contacts).")
    if not plaus.implausible:  # an implausible estimate is already said above, in red
        st.info(escape_text(plaus.reason))

# --- trends ------------------------------------------------------------------------------------
label = result.outcome.label
y_label = ("average minutes" if result.outcome.kind == "mean" else f"{unit} per area (average)")
st.plotly_chart(figs.group_trend_figure(shown.groups, spec.markers(),
                                        f"{label}: served vs comparison areas", y_label),
                key="eval_trend")
if shown.hidden_cells:
    st.caption(f"{shown.hidden_cells} group-months rest on {threshold} or fewer calls and are "
               "hidden in public views.")
st.caption(f"Served: {len(result.design.served)} areas. Comparison: "
           f"{len(result.design.comparison)} areas no program of this kind serves.")

st.plotly_chart(figs.event_study_figure(est.event, unit), key="eval_event")
if est.pretrend_p is not None:
    st.markdown(
        f"**Pre-trend test**: before the launch, did served and comparison areas move together? "
        f"p = {est.pretrend_p:.3f} "
        + ("(they did not: treat the estimate with care)." if est.pretrend_p < ev.ALPHA
           else "(no sign that they moved apart)."))

# --- checks ------------------------------------------------------------------------------------
st.subheader("Checks")
rows = [{"check": "Clustered by area (did2s, 95%)", "estimate": interval_text(est.att_cluster,
                                                                              "{:+,.2f}")}]
if est.att_random is not None:
    rows.append({"check": f"Randomization: {est.random_reps} placebo sets of comparison areas "
                          f"(p = {est.random_p:.2f})",
                 "estimate": interval_text(est.att_random, "{:+,.2f}")})
else:
    rows.append({"check": "Randomization", "estimate": "too few comparison areas"})
if est.placebo is not None:
    rows.append({"check": f"Placebo launch {est.placebo_month:%b %Y} (should cover 0)",
                 "estimate": interval_text(est.placebo, "{:+,.2f}")
                 + (" - covers 0" if est.placebo.covers_zero else " - does NOT cover 0")})
st.dataframe(rows, hide_index=True)

# --- staff: per area, model details, the panel -------------------------------------------------
if ctx.is_staff and shown.per_area is not None:
    with st.expander("Per area"):
        st.dataframe(shown.per_area, hide_index=True)
    with st.expander("Model details"):
        d = result.design
        st.markdown(
            f"- Estimator: Gardner's two-stage difference-in-differences (`pyfixest.did2s`), first "
            f"stage `y ~ 0 | area + month` on area-months not served, second stage `y ~ 0 + "
            f"treat`; event study `~ i(rel, ref=-1)`, {ev.EVENT_WINDOW} months either side.\n"
            f"- Standard errors: clustered by area ({len(d.served) + len(d.comparison)} "
            f"clusters), GMM-corrected for the first stage.\n"
            f"- Randomization: {est.random_reps} random sets of {len(d.served)} comparison "
            f"areas given the launch months; interval = estimate minus the placebo 97.5% and "
            f"2.5% points.\n"
            f"- Observations: {len(result.panel):,} area-months; launches: "
            + ", ".join(sorted({f'{m:%b %Y}' for _, m in d.treated})) + ".")
    st.download_button("Download the panel (CSV)", defer_csv(lambda: ev.panel_csv_frame(result)),
                       file_name=f"evaluation_{program_id}_{outcome}.csv", mime="text/csv",
                       key="eval_csv", on_click="ignore", icon=":material/download:")
