"""Concentration figures and before/after arithmetic, on hand-computed cases."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from response_atlas.analysis.repeats import (
    RepeatRule,
    before_after,
    call_band,
    compare_before_after,
    concentration_by_area,
    concentration_curve,
    count_in_windows,
    top_share,
)
from tests.unit.test_repeats_helpers import all_of_2025, make_snapshot

# --- concentration ---------------------------------------------------------------------------


def test_concentration_curve_points():
    curve = concentration_curve([1, 10, 5, 3, 1])  # 20 calls at 5 locations
    assert list(curve["locations"]) == [0, 1, 2, 3, 4, 5]
    assert list(curve["address_share"]) == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert list(curve["call_share"]) == pytest.approx([0, 0.50, 0.75, 0.90, 0.95, 1.0])


def test_concentration_curve_thins_long_curves_keeping_the_ends():
    curve = concentration_curve([3] * 10 + [1] * 990, max_points=101)  # 1,020 calls
    assert len(curve) == 101
    assert curve.iloc[0].tolist() == [0, 0.0, 0.0] and curve.iloc[-1].tolist() == [1000, 1.0, 1.0]
    assert curve.iloc[1]["locations"] == 10
    assert curve.iloc[1]["call_share"] == pytest.approx(30 / 1020)
    assert curve["call_share"].is_monotonic_increasing


def test_concentration_curve_empty():
    curve = concentration_curve([])
    assert curve.to_dict("list") == {"locations": [0], "address_share": [0.0], "call_share": [0.0]}


def test_top_share_rounds_up_to_whole_locations():
    t = top_share([10, 5, 3, 1, 1], share=0.05)
    # 5% of 5 locations is a quarter of one: the busiest single location is the top group.
    assert (t.top_locations, t.locations, t.top_calls, t.calls) == (1, 5, 10, 20)
    assert t.address_share == pytest.approx(0.2) and t.call_share == pytest.approx(0.5)
    assert t.sentence() == "All areas: 20% of addresses (1 of 5) produced 50% of calls (10 of 20)."
    # 5% of 40 is exactly 2 (no floating-point round-up to 3).
    forty = top_share([5, 4] + [1] * 38, share=0.05)
    assert (forty.top_locations, forty.top_calls, forty.calls) == (2, 9, 47)


def test_top_share_empty_and_invalid():
    assert top_share([]).sentence() == "All areas: no block-level calls in this selection."
    with pytest.raises(ValueError):
        top_share([1, 2], share=0)


def test_concentration_by_area():
    counts = pd.DataFrame({
        "address": ["a", "b", "c", "d", "e"],
        "area": ["North", "North", "North", "South", "South"],
        "calls": [6, 2, 2, 3, 3],
    })
    out = concentration_by_area(counts, share=0.3).set_index("area")
    # North: top ceil(0.9)=1 of 3 locations has 6 of 10 calls; South: 1 of 2 has 3 of 6.
    assert out.loc["North", ["locations", "calls", "top_locations", "top_calls"]].tolist() == [
        3, 10, 1, 6]
    assert out.loc["North", "call_share"] == pytest.approx(0.6)
    assert out.loc["South", "call_share"] == pytest.approx(0.5)
    assert list(out.index) == ["North", "South"]  # most concentrated first


# --- before / after --------------------------------------------------------------------------


def _days(*iso: str) -> np.ndarray:
    return np.sort(np.array(iso, dtype="datetime64[D]"))


def test_count_in_windows_boundaries():
    days = _days("2024-12-31", "2025-01-01", "2025-01-30", "2025-01-31", "2025-02-01",
                 "2025-03-02", "2025-03-03")
    # Index 31 Jan, 30 days: before = 1-30 Jan, after = 1 Feb-2 Mar; the index day is in neither.
    assert count_in_windows(days, date(2025, 1, 31), 30) == (2, 2)
    assert count_in_windows(days, date(2025, 1, 31), 31) == (3, 3)


def test_call_band():
    assert [call_band(n) for n in (1, 2, 3, 4, 5, 9, 10, 19, 20, 300)] == [
        "1-2", "1-2", "3-4", "3-4", "5-9", "5-9", "10-19", "10-19", "20+", "20+"]


def _calls(address: str, *iso: str) -> list[dict]:
    return [{"address": address, "call_date": pd.Timestamp(d)} for d in iso]


def test_compare_before_after_hand_built():
    d0 = "2025-06-01"  # first contact at T; windows of 30 days: 2-31 May and 2 Jun-1 Jul
    loc_calls = pd.DataFrame(
        _calls("T", "2025-05-02", "2025-05-10", "2025-05-12", "2025-05-20", "2025-05-30",
               "2025-05-31", "2025-06-01", "2025-06-10", "2025-06-20")  # 6 before, 2 after
        + _calls("C1", "2025-05-05", "2025-05-06", "2025-05-07", "2025-05-08",  # 4 before
                 "2025-06-05", "2025-06-06", "2025-06-07")  # 3 after
        + _calls("C2", "2025-05-15", "2025-05-16", "2025-07-01")  # 2 before, 1 after
        + _calls("C3", "2025-04-01", "2025-04-02", "2025-06-15")  # nothing before: not similar
        + _calls("C4", "2025-05-03", "2025-05-04", "2025-05-05")  # other area
        + _calls("E", "2025-01-10", "2025-01-11", "2025-01-12")  # contact too early for a window
    )
    locations = pd.DataFrame({
        "address": ["T", "C1", "C2", "C3", "C4", "E"],
        "area": ["X", "X", "X", "X", "Y", "X"],
        "calls": [9, 7, 3, 3, 3, 3],
        "first_contact": [pd.Timestamp(d0 + " 11:00"), pd.NaT, pd.NaT, pd.NaT, pd.NaT,
                          pd.Timestamp("2025-01-12 09:00")],
    })
    result = compare_before_after(loc_calls, locations, date(2025, 1, 1), date(2025, 12, 31),
                                  window_days=30, match_on="area")
    row = result.locations.iloc[0]
    assert (row["address"], row["before"], row["after"], row["comparison_locations"]) == (
        "T", 6, 2, 2)
    assert result.summary["treated_change"] == pytest.approx(-4.0)
    assert result.summary["comparison_before"] == pytest.approx(3.0)  # (4 + 2) / 2
    assert result.summary["comparison_after"] == pytest.approx(2.0)  # (3 + 1) / 2
    assert result.summary["did"] == pytest.approx(-3.0)  # -4 - (-1)
    assert result.left_out == {"window outside the data": 1, "no comparison location": 0}

    # Matched on call-count band instead: T (9 calls, band 5-9) matches C1 (7) only.
    by_band = compare_before_after(loc_calls, locations, date(2025, 1, 1), date(2025, 12, 31),
                                   window_days=30, match_on="band")
    assert by_band.summary["comparison_before"] == pytest.approx(4.0)
    assert by_band.summary["comparison_after"] == pytest.approx(3.0)
    assert by_band.summary["did"] == pytest.approx(-3.0)

    with pytest.raises(ValueError):
        compare_before_after(loc_calls, locations, date(2025, 1, 1), date(2025, 12, 31),
                             match_on="zip")


def test_before_after_from_snapshot(tmp_path):
    bh, alt = "behavioral_health", "alternative"
    # Treated block: 3 calls in the 30 days before day 100 (contact on the day-100 call), 1 after.
    calls = [(f"t{n}", n, "1XX CARE ST", bh, alt, "Alpha") for n in (75, 80, 90, 100, 120)]
    # Comparison block in Alpha: 2 calls before day 100, 2 after.
    calls += [(f"c{n}", n, "2XX SAME ST", bh, alt, "Alpha") for n in (85, 95, 105, 110)]
    # Keep the data range wide enough for the windows (day 0 to day 300).
    calls += [("x0", 0, "9XX FAR RD", bh, alt, "Beta"), ("x1", 300, "9XX FAR RD", bh, alt, "Beta")]
    snap = make_snapshot(tmp_path, calls, contacts=[("k1", "t100", "ARC", 100)])
    result = before_after(snap, all_of_2025(), RepeatRule(3, 90), window_days=30)
    assert result.summary["locations"] == 1
    assert (result.summary["treated_before"], result.summary["treated_after"]) == (3.0, 1.0)
    assert (result.summary["comparison_before"], result.summary["comparison_after"]) == (2.0, 2.0)
    assert result.summary["did"] == pytest.approx(-2.0)


def test_before_after_on_tiny_snapshot_leaves_out_cut_windows(tiny_snapshot):
    # Both contacted blocks had their first contact within 90 days of the data's first day.
    result = before_after(tiny_snapshot, all_of_2025(), window_days=90)
    assert result.empty
    assert result.left_out["window outside the data"] == 2
