"""Streamlit panel for saved plans (staff pages): save, list, load, compare, download, upload.

The logic (file format, storage, figures) is in :mod:`response_atlas.plans`; this module only
draws widgets. Plans are files in ``<data>/plans/``: they survive restarts and every staff
session sees the same list.
"""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis.planner import SHARE_INPUTS
from response_atlas.plans import (
    MAX_COMPARED,
    PlanFileError,
    SavedPlan,
    compare_saved,
    delete_saved,
    list_plans,
    plan_from_yaml,
    plan_team_table,
    plans_dir,
    save_model,
    to_yaml,
)
from response_atlas.privacy import defer_csv

LOADED_TEAMS_KEY = "plan_loaded_teams"  # the team table a loaded plan put in the editor
EDITOR_KEY = "plan_teams"


def save_plan_form(data_dir, build_plan, key: str, label: str = "Save for the team") -> None:
    """A name box and a save button; ``build_plan(name)`` returns the :class:`SavedPlan`."""
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    name = c1.text_input("Name of the saved plan", key=f"{key}_name", max_chars=60,
                         placeholder="e.g. Two teams 07-19").strip()
    replace = c2.checkbox("Replace if it exists", key=f"{key}_replace")
    if c3.button(label, key=f"{key}_save", icon=":material/save:"):
        if not name:
            st.warning("Give the plan a name first.")
            return
        try:
            path = save_model(plans_dir(data_dir), build_plan(name), overwrite=replace)
        except (OSError, PlanFileError, ValueError) as exc:
            st.warning(str(exc))
        else:
            st.success(f"Saved '{name}' as {path.name}; every staff member now sees it.")


def _load_into_planner(saved: SavedPlan) -> None:
    """on_click: put a plan's teams and costs into the planner's widgets before they are drawn."""
    st.session_state[LOADED_TEAMS_KEY] = plan_team_table(saved.planner)
    st.session_state.pop(EDITOR_KEY, None)  # the editor's edits belong to the old table
    for name, value in saved.planner.costs.model_dump().items():
        st.session_state[f"plan_{name}"] = round(value * 100, 1) if name in SHARE_INPUTS \
            else float(value)


def render_saved_plans(data_dir, aggregate, filters, zones, areas) -> None:
    """The shared list: pick 2-4 to compare, load one into the planner, download, upload, delete."""
    listed = list_plans(data_dir)
    broken = [item for item in listed if item.model is None]
    for item in broken:
        st.warning(f"Saved plan file {item.problem}")
    plans = {item.slug: item for item in listed if item.model is not None}
    upload = st.file_uploader("Upload a plan file (YAML)", type=["yaml", "yml"],
                              key="plans_upload", help="The format is described in "
                              "docs/briefing.md; a downloaded plan can be uploaded as it is.")
    # the uploader keeps its file across reruns: read each upload once
    if upload is not None and st.session_state.get("_plans_uploaded") != upload.file_id:
        st.session_state["_plans_uploaded"] = upload.file_id
        try:
            saved = plan_from_yaml(upload.getvalue(), upload.name)
            path = save_model(plans_dir(data_dir), saved,
                              overwrite=st.session_state.get("plans_upload_replace", False))
        except (PlanFileError, OSError) as exc:
            st.error(f"Not saved. {exc}")
        else:
            st.success(f"Uploaded '{saved.name}' ({path.name}).")
            plans = {i.slug: i for i in list_plans(data_dir) if i.model is not None}
    st.checkbox("An upload may replace a saved plan of the same name", key="plans_upload_replace")
    if not plans:
        st.caption("No saved plans yet. Save one above, or on the Coverage page's What-if tab.")
        return
    names = {slug: item.name for slug, item in plans.items()}
    chosen = st.multiselect(
        f"Plans to compare (2 to {MAX_COMPARED})", list(plans), format_func=names.get,
        key="plans_compare", max_selections=MAX_COMPARED,
    )
    if len(chosen) >= 2:
        table = compare_saved([plans[s].model for s in chosen], aggregate, filters, zones, areas)
        st.dataframe(table, hide_index=True, key="plans_compare_table", height="content",
                     column_config={"Figure": st.column_config.TextColumn(width="medium")})
        st.caption("Planner figures are per year; coverage figures are for the sidebar's period. "
                   "Every plan is computed on the current snapshot and filters.")
        st.download_button("Download the comparison (CSV)", defer_csv(table),
                           "saved-plans-comparison.csv", "text/csv", key="plans_compare_csv")
    elif chosen:
        st.caption("Choose at least one more plan to compare.")
    one = st.selectbox("A saved plan", list(plans), format_func=names.get, key="plans_pick")
    saved = plans[one].model
    st.caption(" · ".join(p for p in (
        "planner" if saved.planner else "", "coverage what-if" if saved.coverage else "",
        f"saved {saved.saved_at}" if saved.saved_at else "", saved.note) if p))
    c1, c2, c3 = st.columns(3)
    c1.button("Load into the planner", key="plans_load", disabled=saved.planner is None,
              on_click=_load_into_planner, args=(saved,), icon=":material/upload:")
    c2.download_button("Download (YAML)", to_yaml(saved), f"{one}.yaml", "application/yaml",
                       key="plans_download", icon=":material/download:")
    if c3.button("Delete", key="plans_delete", icon=":material/delete:"):
        delete_saved(plans_dir(data_dir), one)
        st.rerun()
