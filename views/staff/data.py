"""Data and refresh (staff): the snapshot manifest, refresh outcomes, validation report, rejected
rows, and the kept snapshots with a switch between them (rollback)."""

from __future__ import annotations

import streamlit as st

from response_atlas.analysis import manifest_report as mr
from response_atlas.ingest.rollback import RollbackError, switch_to
from response_atlas.privacy import defer_csv, escape_text
from response_atlas.ui.context import get_context, page_header, require_staff

ROLLBACK_DONE = "data_page_rollback_done"  # the message shown after the rerun a switch causes

ctx = get_context()
require_staff(ctx)

page_header(
    "Data and refresh",
    ctx,
    intro="Where the figures come from: the source files of the snapshot in use, how many rows "
    "were accepted or rejected and why, and earlier snapshots.",
)
manifest = ctx.snapshot.manifest


def show_table(frame, when_empty: str, empty_is_good: bool = False) -> None:
    """The table, or a plain sentence saying why there is none."""
    if frame.empty:
        (st.success if empty_is_good else st.info)(when_empty)
    else:
        st.dataframe(frame, hide_index=True)


st.subheader("Snapshot in use")
summary = mr.manifest_summary(manifest)
st.dataframe(
    {"Item": list(summary), "Value": list(summary.values())}, hide_index=True, width="content"
)

st.subheader("Source files")
show_table(mr.sources_table(manifest), "The manifest lists no source files.")

st.subheader("Rows read, accepted and rejected")
show_table(mr.counts_table(manifest), "The manifest has no row counts.")
reasons = mr.rejected_by_reason_table(manifest)
if not reasons.empty:
    st.markdown("**Rejected rows by reason**")
    st.dataframe(reasons, hide_index=True)

st.subheader("Refresh outcomes")
show_table(mr.outcomes_table(manifest), "This snapshot's manifest records no outcomes (it was "
           "made before they were recorded).")
for note in mr.missing_zone_notes(manifest):
    st.warning(note)

st.subheader("Validation report")
show_table(mr.validation_table(manifest), "No validation findings recorded for this snapshot.",
           empty_is_good=True)

st.subheader("Rejected rows")
n_rejects = mr.count_rejects(ctx.snapshot)
if n_rejects == 0:
    st.success("No rows were rejected.")
else:
    shown = mr.rejected_rows(ctx.snapshot)
    st.caption(f"{n_rejects:,} rejected rows" + (
        f"; the first {len(shown):,} are listed, the download has all." if n_rejects > len(shown)
        else "."))
    st.dataframe(shown, hide_index=True)
    st.download_button(
        "Download rejected rows (CSV)",
        data=defer_csv(lambda: mr.rejected_rows(ctx.snapshot, limit=None)),
        file_name=f"rejected-rows-{ctx.snapshot.version}.csv",
        mime="text/csv",
    )

st.subheader("Snapshots kept")
if ROLLBACK_DONE in st.session_state:
    st.success(st.session_state.pop(ROLLBACK_DONE))
kept = mr.snapshots_table(ctx.settings.snapshots_dir)
st.dataframe(kept, hide_index=True)
st.caption(
    f"The newest {ctx.settings.keep_snapshots} snapshots are kept. "
    "Build a new one with `python -m response_atlas refresh`; a switch here only changes which "
    "one is in use (the next refresh builds from the data folder as usual)."
)
others = kept.loc[~kept["In use"], "Snapshot"].tolist()
if others:
    with st.form("rollback"):
        chosen = st.selectbox("Snapshot to use instead", others,
                              help="Every page switches to it on its next run.")
        if st.form_submit_button("Switch to this snapshot"):
            try:
                previous = switch_to(ctx.settings.snapshots_dir, chosen)
            except RollbackError as exc:
                st.error(escape_text(exc))
            else:
                st.session_state[ROLLBACK_DONE] = (
                    f"Now using snapshot {escape_text(chosen)} (was {escape_text(previous)}).")
                st.rerun()
