"""Community Response Atlas: entry point (page config, first-start data, role, navigation)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from response_atlas.pages_registry import pages_for_role
from response_atlas.ui.auth import render_login, resolve_role
from response_atlas.ui.context import build_context
from response_atlas.ui.layout import apply_presentation_mode, ensure_data
from response_atlas.ui.saved_views import render_sidebar_extras

# A file in the repository, not ":material/...:" (Streamlit points that favicon at Google's font
# host): Streamlit inlines an SVG icon as a data: URL, so the icon costs no request at all.
PAGE_ICON = Path(__file__).parent / "static" / "atlas-icon.svg"

st.set_page_config(
    page_title="Community Response Atlas",
    page_icon=str(PAGE_ICON),
    layout="wide",
    initial_sidebar_state="expanded",
)

ensure_data()
role = resolve_role()
specs = pages_for_role(role)
# A flat list, not sections: Streamlit's sectioned sidebar nests <header>/<div> directly in its
# <ul>, which screen readers and axe flag as a broken list (seen with Streamlit 1.67).
navigation = st.navigation(
    [
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=Path(spec.path).stem)
        for spec in specs
    ]
)
ctx = build_context(role)
apply_presentation_mode(ctx.presentation)
render_login(role)
render_sidebar_extras(ctx, navigation.url_path)  # the monthly briefing; staff's saved views
navigation.run()
