"""The public equity page through app.py (AppTest), and what it sends to the browser."""

from __future__ import annotations

import re

import pytest

from tests.apptest_helpers import collect_payload, element_leaves, run_page
from tests.tiny_snapshot import CALLS, calls_frame

COUNT_COLUMNS = ("911 calls", "Calls eligible for an alternative response",
                 "Calls answered by a crisis team", "Calls that ended in an arrest")


@pytest.fixture(scope="module")
def public_page(tiny_data_dir):
    at = run_page("views/public/equity.py", tiny_data_dir, role="public")
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_area_rates_per_1000(public_page):
    areas = next(df.value for df in public_page.dataframe if "Area" in df.value.columns)
    rates = dict(zip(areas["Area"], areas["911 calls per 1,000 residents"], strict=True))
    # rates from the published counts: 20, 16 -> 15, 12 -> 15
    assert rates == {"Alpha": "20.0", "Beta": "7.5", "Gamma": "30.0"}
    counts = dict(zip(areas["Area"], areas["911 calls"], strict=True))
    assert counts == {"Alpha": "20", "Beta": "15", "Gamma": "15"}


def test_every_small_count_is_fewer_than_11(public_page):
    seen_small = 0
    for df in public_page.dataframe:
        frame = df.value
        for column in (c for c in frame.columns if c in COUNT_COLUMNS):
            for value in frame[column]:
                assert value not in {str(n) for n in range(1, 11)}, (column, value)
                seen_small += value == "fewer than 11"
    assert seen_small >= 5  # Beta's 10 eligible, 3 and 1 served, 4 and 3 arrests, ...


def test_headline_and_definitions_are_shown(public_page):
    text = " ".join(m.value for m in public_page.markdown)
    # 20.0 vs 30.0 per 1,000 from the published counts (0.8 from the exact 20 vs 24)
    assert "there were 0.7 calls to 911 per 1,000 residents for every 1" in text
    assert "Allowing for chance, the true ratio is likely between" in text
    assert "ACS) 2023 5-year" in text


def test_public_page_sends_no_addresses_call_ids_or_points(public_page):
    payload = collect_payload(public_page)
    assert "component_instance" in {leaf.type for leaf in element_leaves(public_page._tree)}
    assert "L.map" in payload  # the map HTML is part of what was inspected
    for address in {row[6] for row in CALLS}:
        assert address not in payload
    assert not re.search(r"\d+XX ", payload)
    assert not re.search(r"\b[ABG]\d\d\b", payload), "a call id reached the page"
    points = calls_frame()
    forbidden = {round(v, 9) for v in (*points["lat"], *points["lon"])}
    numbers = {round(float(x), 9) for x in re.findall(r"-?\d+\.\d+", payload)}
    assert not forbidden & numbers, f"call coordinates in the page: {forbidden & numbers}"


def test_filter_with_no_calls_shows_a_message(tiny_data_dir):
    at = run_page("views/public/equity.py", tiny_data_dir, role="public",
                  query={"from": "2025-06-12", "to": "2025-06-12", "area": "Alpha"})
    assert not at.exception
    assert any("No calls match" in i.value for i in at.info)
