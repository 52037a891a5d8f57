"""Layout helpers: first-start data, presentation mode, tabs that draw only the open one."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from response_atlas.snapshot import SnapshotMissing, current_snapshot_dir
from response_atlas.store import get_settings

# Presentation mode: larger type; controls hidden. The sidebar keeps only the navigation and the
# presentation toggle (class st-key-present), so the mode can be switched off in the room; the
# active filters stay stated in words under every title (ui.context.page_header).
_PRESENTATION_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
  [data-testid="stMain"] p, [data-testid="stMain"] li,
  [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
  [data-testid="stMetricValue"] { font-size: 3rem; }
  [data-testid="stMetricLabel"] p { font-size: 1.2rem; }
  h1 { font-size: 2.8rem !important; }
  [data-testid="stSidebarUserContent"] [data-testid="stElementContainer"]:not(.st-key-present),
  [data-testid="stSidebarUserContent"] [data-testid="stHeading"],
  [data-testid="stExpander"], [data-testid="stDownloadButton"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], .modebar-container { display: none; }
</style>
"""


def ensure_data() -> None:
    """On first start (no snapshot yet), generate the demo county and ingest it, with a spinner."""
    settings = get_settings()
    try:
        current_snapshot_dir(settings.snapshots_dir)
        return
    except SnapshotMissing:
        pass
    from response_atlas.bootstrap import ensure_demo_snapshot

    with st.spinner("First start: building the demo Hamilton County data (about a minute)..."):
        ensure_demo_snapshot(settings)


def presentation_css() -> str:
    """The style sheet presentation mode adds (exposed for tests)."""
    return _PRESENTATION_CSS


def apply_presentation_mode(on: bool) -> None:
    """Larger type and fewer controls for a projector."""
    if on:
        st.html(_PRESENTATION_CSS)


def show_open_tab(sections: dict[str, Callable[[], None]], key: str) -> None:
    """Tabs named by ``sections`` (label -> function drawing it); only the open one is drawn.

    The tabs know which one is open because they are bound to the link (``key`` names the URL
    parameter, so a shared link opens the same tab). A rerun then pays for one tab, not all of
    them; switching tabs reruns the page for the newly opened one.
    """
    tabs = st.tabs(list(sections), key=key, bind="query-params")
    for tab, show in zip(tabs, sections.values(), strict=True):
        if tab.open:
            with tab:
                show()


def separated_number_columns(table, columns: tuple[str, ...]) -> dict:
    """Column settings that show ``columns`` with thousands separators (17,703), for those of
    them held as numbers; public tables turn small counts into text ("fewer than 11"), which
    stays as it is."""
    import pandas as pd

    return {c: st.column_config.NumberColumn(format="localized") for c in columns
            if c in table and pd.api.types.is_numeric_dtype(table[c])}
