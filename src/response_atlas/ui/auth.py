"""Who is looking: public (default, no login) or staff. Issue 10 completes the login methods."""

from __future__ import annotations

import streamlit as st

from response_atlas.pages_registry import PUBLIC, ROLES

ROLE_KEY = "_atlas_role"


def resolve_role() -> str:
    """The session's role; only server code (a verified login) ever sets it to staff."""
    role = st.session_state.get(ROLE_KEY, PUBLIC)
    return role if role in ROLES else PUBLIC


def render_login(role: str) -> None:
    """Sidebar login/logout controls (none when no login method is configured)."""
    return None
