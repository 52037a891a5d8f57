"""Which pages exist, in what order, and who may see them (used to build ``st.navigation``)."""

from __future__ import annotations

from dataclasses import dataclass

from response_atlas.config import public_only

PUBLIC = "public"
STAFF = "staff"
ROLES = (PUBLIC, STAFF)


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the project root
    title: str
    icon: str
    audience: str  # PUBLIC pages are seen by everyone, STAFF pages only by staff


PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/public/overview.py", "Overview", ":material/dashboard:", PUBLIC),
    PageSpec("views/public/calls_map.py", "Calls map", ":material/map:", PUBLIC),
    PageSpec("views/public/outcomes.py", "Outcomes", ":material/trending_up:", PUBLIC),
    PageSpec("views/public/equity.py", "Equity", ":material/balance:", PUBLIC),
    PageSpec("views/public/evaluation.py", "Is it working?", ":material/science:", PUBLIC),
    PageSpec("views/staff/repeats.py", "Repeat addresses", ":material/repeat:", STAFF),
    PageSpec("views/staff/coverage.py", "Coverage and gaps", ":material/shield:", STAFF),
    PageSpec("views/staff/triage.py", "Triage rules", ":material/rule:", STAFF),
    PageSpec("views/staff/planner.py", "Pilot planner", ":material/calculate:", STAFF),
    PageSpec("views/staff/forecast.py", "Demand forecast", ":material/query_stats:", STAFF),
    PageSpec("views/staff/data.py", "Data and refresh", ":material/database:", STAFF),
    PageSpec("views/public/about.py", "About and methods", ":material/info:", PUBLIC),
)


def pages_for_role(role: str) -> list[PageSpec]:
    """The pages a session with ``role`` may open; unknown roles get the public set.

    A public process (``ATLAS_PUBLIC_ONLY=1``) has only the public set, whatever the role says.
    """
    if role == STAFF and not public_only():
        return list(PAGES)
    return [p for p in PAGES if p.audience == PUBLIC]
