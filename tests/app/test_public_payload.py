"""What a public session sends, page by page, and how every page takes a hostile link.

The payload is every element AppTest received: text, metrics, tables (all cells), JSON, charts
and the folium map HTML that ``st_folium`` ships inside its component message.
"""

from __future__ import annotations

import os
import re

import pytest
from streamlit.testing.v1 import AppTest

from response_atlas.pages_registry import PAGES, PUBLIC, STAFF
from response_atlas.ui.auth import ROLE_KEY
from tests.apptest_helpers import APP, collect_payload, run_page
from tests.tiny_snapshot import CALLS, calls_frame

PUBLIC_PAGES = [p for p in PAGES if p.audience == PUBLIC]
MAP_PAGES = {"views/public/overview.py", "views/public/calls_map.py", "views/public/equity.py"}
PERIOD = {"from": "2025-01-01", "to": "2025-06-30"}
# the most revealing settings a public user can pick on a page (every layer, both periods)
PAGE_QUERY = {
    "views/public/calls_map.py": {
        "layers": ["Areas", "Hexagons", "Heat", "Hot spots"], "before_from": "2025-01-01",
        "before_to": "2025-03-31", "after_from": "2025-04-01", "after_to": "2025-06-30"},
}

ADDRESSES = sorted({row[6] for row in CALLS})
CALL_IDS = sorted({row[0] for row in CALLS})
DISPOSITIONS = sorted({row[7] for row in CALLS})


def call_points() -> list[float]:
    frame = calls_frame()
    return sorted({float(v) for v in (*frame["lat"], *frame["lon"])})


def is_call_point(written: str, points: list[float]) -> bool:
    """``written`` (4+ decimals) is a call's coordinate rounded to as many decimals as it shows.

    A hexagon's center near the calls (the heat layer) differs from every point in its 5th or
    6th decimal, so it is not taken for one.
    """
    decimals = min(len(written.split(".")[1]), 12)
    return any(abs(float(written) - round(p, decimals)) < 10 ** -(decimals + 1) for p in points)


def leaks(payload: str) -> list[str]:
    """What in ``payload`` is below area level: addresses, call ids, points, free text."""
    found = [a for a in ADDRESSES if a in payload]
    found += [c for c in CALL_IDS if re.search(rf"(?<![\w#]){c}(?!\w)", payload)]
    found += [d for d in DISPOSITIONS if re.search(rf"(?<!\w){re.escape(d)}(?!\w)", payload)]
    points = call_points()
    # The map's view center is the middle of all areas; in the tiny snapshot that happens to be
    # Beta's center, where its calls sit. It is computed from the areas, not from a call.
    numbers = re.sub(r"center: \[[^\]]*\]", "", payload)
    # a coordinate written with 4 or more decimals that is a call's latitude or longitude
    found += [x for x in re.findall(r"-?\d+\.\d{4,}", numbers) if is_call_point(x, points)]
    return found


def test_the_leak_finder_finds_each_kind():
    frame = calls_frame()
    sample = (f"12XX MAIN ST | id A03 | ARREST | [{frame['lon'][0]:.6f}, {frame['lat'][0]:.5f}]")
    assert len(leaks(sample)) == 5  # the address, the id, the disposition, lon, lat
    assert leaks("Alpha 20 calls; fewer than 11 arrests; #B00000; [-84.55, 39.1]") == []
    assert leaks("heat: [39.11000539916609, -84.54]; 39.1100; -84.540000") == ["39.1100", "-84.540000"]


@pytest.fixture(scope="module", params=PUBLIC_PAGES, ids=lambda s: s.path)
def public_session(request, tiny_data_dir):
    spec = request.param
    at = run_page(spec.path, tiny_data_dir, role=PUBLIC,
                  query={**PERIOD, **PAGE_QUERY.get(spec.path, {})})
    assert not at.exception, [e.value for e in at.exception]
    if spec.path == "views/public/calls_map.py":
        at.selectbox(key="calls_area_select").select("Alpha").run()  # the area panel too
        assert not at.exception, [e.value for e in at.exception]
    return spec, at


def test_public_page_sends_nothing_below_area_level(public_session):
    spec, at = public_session
    payload = collect_payload(at)
    assert at.title[0].value.startswith(spec.title)
    if spec.path in MAP_PAGES:
        assert "L.map" in payload, "the map HTML was not part of what was inspected"
    assert leaks(payload) == []


# --- hostile links ---------------------------------------------------------------------------
BAD_LINK = {
    "area": "Nowhere", "from": "2025-13-45", "to": "yesterday", "cat": "<script>", "tier": "x",
    "hours": "99-3", "days": "Funday", "measure": "bogus", "layers": ["<img src=x>", "Heat"],
    "before_from": "not-a-date", "before_to": "2025-02-30", "after_from": "", "after_to": "0",
    "eq_by": "nonsense", "eq_measure": "'; DROP TABLE calls; --", "eq_method": "${alert(1)}",
    "cov_km": "-1e309", "cov_prog": "NOPE", "rep_days": "abc", "rep_n": "-5",
    "rep_view": "zzz", "rep_win": "9999999999", "present": "maybe",
}


def open_link(page: str, data_dir, role: str, query: dict) -> AppTest:
    """Open ``page`` straight from a link, as a browser does (``switch_page`` clears the query)."""
    os.environ["ATLAS_DATA_DIR"] = str(data_dir)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[ROLE_KEY] = role
    at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.path)
def test_bad_link_values_fall_back_with_a_message(tiny_data_dir, spec):
    role = STAFF if spec.audience == STAFF else PUBLIC
    at = open_link(spec.path, tiny_data_dir, role, BAD_LINK)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.startswith(spec.title)
    notes = " ".join(i.value for i in at.sidebar.info)
    for bad in ("Nowhere", "2025-13-45", "yesterday"):
        assert bad in notes, f"no message about {bad!r}: {notes}"
    if spec.path == "views/public/calls_map.py":
        assert "99-3" in notes and "Funday" in notes
        assert at.slider(key="hours").value == (0, 23)
    assert not [e for e in at.error if "Traceback" in e.value]


def test_good_hours_and_days_in_a_link_give_no_message(tiny_data_dir):
    at = open_link("views/public/calls_map.py", tiny_data_dir, PUBLIC,
                   {"hours": ["08", "17"], "days": ["Mon", "Sat"]})
    assert not at.exception
    assert at.slider(key="hours").value == (8, 17)
    assert not [i.value for i in at.sidebar.info if "Ignored" in i.value]
