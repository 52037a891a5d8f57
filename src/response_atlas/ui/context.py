"""The page context: snapshot, shared sidebar filters (bound to the URL), role, presentation mode.

``app.py`` builds the context once per run, before the page runs; pages call :func:`get_context`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from response_atlas.config import Settings
from response_atlas.filters import Filters, describe_filters, filters_from_params, snap_public
from response_atlas.pages_registry import PUBLIC
from response_atlas.publish import Audience
from response_atlas.schema import CATEGORIES, CATEGORY_LABELS, TIER_LABELS, TIERS
from response_atlas.snapshot import Snapshot
from response_atlas.store import get_settings, get_snapshot

_CONTEXT_KEY = "_atlas_context"
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class PageContext:
    snapshot: Snapshot
    filters: Filters
    role: str
    presentation: bool
    settings: Settings

    @property
    def is_staff(self) -> bool:
        return self.role != PUBLIC

    @property
    def audience(self) -> Audience:
        """Who the page publishes for: the one object every publish step takes."""
        return Audience(public=not self.is_staff, threshold=self.settings.suppress_below)

    def narrowed(self, **changes) -> Filters:
        """The filters with some fields changed (a page's own hours, days or periods), snapped
        to the public grid again for a public session."""
        filters = self.filters.with_(**changes)
        return filters if self.is_staff else snap_public(filters)


def default_filters(snapshot: Snapshot) -> Filters:
    """The last twelve months of data (or all of it when there is less)."""
    first, last = snapshot.date_range
    start = max(first, last - timedelta(days=364))
    return Filters(start=start, end=last)


def _read_link_notes(snapshot: Snapshot, defaults: Filters) -> tuple[str, ...]:
    """Messages for malformed values in a shared link (the widgets ignore them silently).

    Bound multiselects write their displayed labels into the URL (``cat=Homelessness``), so labels
    are mapped back to keys before checking; a key typed by hand is accepted too.
    """
    to_key = {label: key for key, label in {**CATEGORY_LABELS, **TIER_LABELS}.items()}
    params: dict[str, str] = {}
    for name in ("from", "to", "area", "cat", "tier"):
        values = [to_key.get(v, v) for v in st.query_params.get_all(name) if v]
        if values:
            params[name] = "|".join(values)
    return filters_from_params(params, defaults, frozenset(snapshot.area_names)).notes


def render_sidebar_filters(snapshot: Snapshot) -> Filters:
    """The shared sidebar: period, areas, call types, tiers, hours, weekdays (all in the URL)."""
    defaults = default_filters(snapshot)
    first, last = snapshot.date_range
    notes = _read_link_notes(snapshot, defaults)
    side = st.sidebar
    side.header("Filters")
    start = side.date_input(
        "From", value=defaults.start, min_value=first, max_value=last, key="from",
        bind="query-params", format="YYYY-MM-DD",
    )
    end = side.date_input(
        "To", value=defaults.end, min_value=first, max_value=last, key="to",
        bind="query-params", format="YYYY-MM-DD",
    )
    if isinstance(start, date) and isinstance(end, date) and start > end:
        side.warning("'From' is after 'To'; the two dates were swapped.")
        start, end = end, start
    areas = side.multiselect(
        "Areas", snapshot.area_names, key="area", bind="query-params",
        placeholder="All areas",
    )
    categories = side.multiselect(
        "Call types", list(CATEGORIES), format_func=CATEGORY_LABELS.get, key="cat",
        bind="query-params", placeholder="All call types",
    )
    tiers = side.multiselect(
        "Eligibility tier", list(TIERS), format_func=TIER_LABELS.get, key="tier",
        bind="query-params", placeholder="All tiers",
        help="From the triage rules: which calls a team could take instead of, or with, police.",
    )
    for note in notes:
        side.info(note)
    return Filters(
        start=start if isinstance(start, date) else defaults.start,
        end=end if isinstance(end, date) else defaults.end,
        areas=tuple(areas),
        categories=tuple(categories),
        tiers=tuple(tiers),
        notes=notes,
    )


def build_context(role: str) -> PageContext:
    """Called by ``app.py`` once per run, before the page: renders the shared sidebar."""
    settings = get_settings()
    snapshot = get_snapshot(settings)
    filters = render_sidebar_filters(snapshot)
    if role == PUBLIC:
        snapped = snap_public(filters)
        if (snapped.start, snapped.end) != (filters.start, filters.end):
            st.sidebar.caption("Public views count whole calendar months: the dates are widened "
                               f"to {snapped.start:%d %b %Y} to {snapped.end:%d %b %Y}.")
        filters = snapped
    presentation = st.sidebar.toggle(
        "Presentation mode", key="present", bind="query-params",
        help="Larger type and fewer controls, for a projector. Filters are stated under titles.",
    )
    ctx = PageContext(snapshot, filters, role, bool(presentation), settings)
    st.session_state[_CONTEXT_KEY] = ctx
    return ctx


def get_context() -> PageContext:
    """The context ``app.py`` built for this run."""
    ctx = st.session_state.get(_CONTEXT_KEY)
    if ctx is None:  # page run on its own (not through app.py): build a public context
        ctx = build_context(PUBLIC)
    return ctx


def page_header(title: str, ctx: PageContext, intro: str | None = None) -> None:
    """Title, the active filters in words and the data date: on every page, for meetings."""
    st.title(title)
    as_of = ctx.snapshot.manifest.get("data_as_of") or ctx.snapshot.date_range[1].isoformat()
    st.caption(f"{describe_filters(ctx.filters)} · data as of {as_of}")
    if intro and not ctx.presentation:
        st.markdown(intro)


def require_staff(ctx: PageContext, message: str = "This page is for signed-in staff.") -> None:
    """Stop a staff page run without a staff context. Staff pages are not in a public session's
    navigation at all; this guards a direct run (defence in depth), the same way on every page."""
    if not ctx.is_staff:
        st.error(message)
        st.stop()
