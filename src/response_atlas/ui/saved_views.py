"""Sidebar extras: the monthly briefing (everyone, for the session's audience) and saved views
(staff: named links to a page with its filters, listed for every staff session).

Called once per run by ``app.py`` after the shared sidebar; the logic is in
:mod:`response_atlas.plans` and :mod:`response_atlas.reports`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from response_atlas.pages_registry import PUBLIC, STAFF, pages_for_role
from response_atlas.plans import (
    FILTER_PARAMS,
    PlanFileError,
    SavedView,
    delete_saved,
    list_views,
    save_model,
    views_dir,
)
from response_atlas.reports.briefing import Month, parse_month
from response_atlas.ui.context import PageContext

BRIEFING_MONTHS = 24  # months offered in the briefing's month box, newest first


def _stem(path: str) -> str:
    return Path(path).stem


def briefing_months(ctx: PageContext) -> list[Month]:
    """Whole months of the snapshot, newest first (the default is the last whole month)."""
    newest = parse_month("previous", ctx.snapshot)
    first = ctx.snapshot.date_range[0]
    months = []
    month = newest
    while month.end >= first and len(months) < BRIEFING_MONTHS:
        months.append(month)
        month = month.shifted(-1)
    return months or [newest]


def render_briefing_button(ctx: PageContext) -> None:
    """Month, paper and a download that makes the PDF when clicked (the session's audience)."""
    audience = STAFF if ctx.is_staff else PUBLIC
    with st.sidebar.expander("Monthly briefing (PDF)", icon=":material/picture_as_pdf:"):
        months = briefing_months(ctx)
        month = st.selectbox("Month", months, format_func=lambda m: m.label, key="brief_month")
        paper = st.radio("Paper", ["a4", "letter"], horizontal=True, key="brief_paper",
                         format_func={"a4": "A4", "letter": "US Letter"}.get)
        use_filters = st.checkbox("Use the sidebar's areas, call types and tiers",
                                  key="brief_filters")

        def build() -> bytes:  # runs only when the button is clicked
            from response_atlas.reports.briefing import build_briefing
            from response_atlas.reports.briefing_pdf import render_pdf

            view = ctx.filters if use_filters else None
            briefing = build_briefing(ctx.snapshot, month, audience, view,
                                      ctx.settings.suppress_below)
            return render_pdf(briefing, ctx.snapshot.areas, paper)

        st.download_button(
            "Download the briefing", build, f"briefing-{month.key}-{audience}.pdf",
            "application/pdf", key="brief_download", on_click="ignore",
            icon=":material/download:",
        )
        st.caption(f"Up to four pages: the month beside the month before and a year earlier, "
                   f"maps, the funnel, equity{', repeat locations' if ctx.is_staff else ''}. "
                   f"The {audience} edition, with the figures this session's pages show.")


def current_params() -> dict[str, str | list[str]]:
    """The link's filter parameters (repeated ones, such as several areas, as a list)."""
    out: dict[str, str | list[str]] = {}
    for name in FILTER_PARAMS:
        values = st.query_params.get_all(name)
        if values:
            out[name] = values if len(values) > 1 or name in ("area", "cat", "tier") else values[0]
    return out


def render_saved_views(ctx: PageContext, page_url: str) -> None:
    """Staff only: the saved views as links, and a box to save the current page with its filters."""
    if not ctx.is_staff:
        return
    data_dir = ctx.settings.data_dir
    pages = {_stem(p.path): p for p in pages_for_role(STAFF)}
    page = page_url if page_url in pages else next(iter(pages))
    listed = list_views(data_dir)
    # one expander (not a subheader): the pages' own headings stay the page's
    with st.sidebar.expander(f"Saved views ({len(listed)})", expanded=bool(listed),
                             icon=":material/bookmarks:"):
        for item in listed:
            if item.model is None:
                st.warning(f"Saved view file {item.problem}")
                continue
            view = item.model
            spec = pages.get(view.page)
            if spec is None:
                st.caption(f"{view.name}: page '{view.page}' no longer exists.")
                continue
            st.page_link(spec.path, label=view.name, icon=spec.icon, query_params=view.params,
                         help=f"{spec.title}: {view.link}")
        if not listed:
            st.caption("None yet: save the page you are on with its filters.")
        name = st.text_input("View name", key="view_name", max_chars=60,
                             placeholder=f"e.g. {pages[page].title}, last quarter").strip()
        if st.button("Save this page and its filters", key="view_save"):
            try:
                view = SavedView(name=name or pages[page].title, page=page,
                                 params=current_params())
                save_model(views_dir(data_dir), view, overwrite=True)
                st.rerun()
            except (PlanFileError, ValueError, OSError) as exc:
                st.warning(str(exc))
        good = [i for i in listed if i.model is not None]
        if good:
            gone = st.selectbox("Remove", [i.slug for i in good], key="view_remove",
                                format_func={i.slug: i.name for i in good}.get)
            if st.button("Remove this view", key="view_delete"):
                delete_saved(views_dir(data_dir), gone)
                st.rerun()
        st.caption("A view is a link to a page with its filters; the briefing can use it too "
                   "(`python -m response_atlas briefing --view NAME`).")


def render_sidebar_extras(ctx: PageContext, page_url: str) -> None:
    """Everything this module adds to the sidebar."""
    render_briefing_button(ctx)
    render_saved_views(ctx, page_url)
