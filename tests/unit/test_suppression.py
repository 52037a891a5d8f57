"""Primary and complementary small-cell suppression (hand-checked tables)."""

from __future__ import annotations

import pandas as pd

from response_atlas.analysis.suppression import (
    COMPLEMENTARY,
    COMPLEMENTARY_LABEL,
    PRIMARY,
    SHOWN,
    Line,
    format_count,
    format_derived,
    primary_mask,
    protect_cells,
    small_label,
    suppress_grouped,
    suppress_table,
)


def test_primary_mask_hides_one_to_ten_but_not_zero_or_eleven():
    counts = pd.Series([0, 1, 5, 10, 11, 300])
    assert primary_mask(counts, 10).tolist() == [False, True, True, True, False, False]
    assert primary_mask(counts, threshold=4).tolist() == [False, True, False, False, False, False]
    assert small_label(10) == "fewer than 11"


def test_table_row_and_column_with_one_small_cell_get_a_complement():
    counts = pd.DataFrame(
        {"x": [5, 40, 70], "y": [20, 50, 80], "z": [30, 60, 90]}, index=["a", "b", "c"]
    )
    table = suppress_table(counts, 10)
    d = table.display
    # primary: the 5; row a protected by hiding 20 (smallest), column x by hiding 40,
    # and then column y (20 hidden alone) by hiding 50.
    assert d.at["a", "x"] == "fewer than 11"
    assert d.at["a", "y"] == COMPLEMENTARY_LABEL
    assert d.at["b", "x"] == COMPLEMENTARY_LABEL
    assert d.at["b", "y"] == COMPLEMENTARY_LABEL
    assert int(table.mask.to_numpy().sum()) == 4
    # margins stay published
    assert d.at["a", "Total"] == "55"
    assert d.at["Total", "x"] == "115"
    assert d.at["Total", "Total"] == "445"
    assert d.at["c", "z"] == "90"
    # no hidden raw value appears anywhere in the display
    cells = set(d.to_numpy().ravel())
    for hidden in ("5", "20", "40", "50"):
        assert hidden not in cells


def test_no_hidden_cell_is_recoverable_by_subtraction():
    counts = pd.DataFrame({"x": [3, 25, 14], "y": [12, 2, 30]}, index=["a", "b", "c"])
    table = suppress_table(counts, 10)
    mask = table.mask.iloc[:-1, :-1]
    # every row and column with a hidden cell has at least two hidden cells
    for r in mask.index:
        assert mask.loc[r].sum() in (0, 2, 3)
    for c in mask.columns:
        assert mask[c].sum() != 1


def test_one_primary_plus_one_barely_large_complement_is_still_exposed():
    # 1 + 11 = 12 shown as a remainder: the complement must be > 10, so the 1 would be pinned.
    values = {"m1": 1, "m2": 11, "m3": 30, "T": 42}
    status = protect_cells(values, [Line(("m1", "m2", "m3"), "T")], 10)
    assert status == {"m1": PRIMARY, "m2": COMPLEMENTARY, "m3": COMPLEMENTARY, "T": SHOWN}


def test_small_total_is_itself_primary_and_needs_no_complement():
    values = {"m1": 3, "m2": 0, "T": 3}
    status = protect_cells(values, [Line(("m1", "m2"), "T")], 10)
    assert status == {"m1": PRIMARY, "m2": SHOWN, "T": PRIMARY}


def test_line_without_published_total_needs_no_complement():
    status = protect_cells({"a": 4, "b": 50}, [Line(("a", "b"), None)], 10)
    assert status == {"a": PRIMARY, "b": SHOWN}


def test_grouped_counts_protect_across_two_groupings():
    counts = pd.Series({"A": 5, "B": 30, "C": 40, "D": 12})
    by_g = pd.Series({"A": "g1", "B": "g1", "C": "g2", "D": "g2"})
    status = suppress_grouped(counts, {"g": by_g}, 10)
    assert status[("unit", "A")] == PRIMARY
    assert status[("unit", "B")] == COMPLEMENTARY  # else A = g1 - B
    assert status[("unit", "C")] == SHOWN
    assert status[("g", "g1")] == SHOWN  # 35 is safe: A and B are both hidden

    by_h = pd.Series({"A": "h1", "C": "h1", "B": "h2", "D": "h2"})
    status = suppress_grouped(counts, {"g": by_g, "h": by_h}, 10)
    # h1 = A + C hides C; h2 = B + D would pin B (and so A via g1): D goes too
    assert {u for u in "ABCD" if status[("unit", u)] == COMPLEMENTARY} == {"B", "C", "D"}
    assert status[("total", "Total")] == SHOWN


def test_format_helpers_never_print_hidden_values():
    assert format_count(7, PRIMARY, 10) == "fewer than 11"
    assert format_count(27, COMPLEMENTARY, 10) == "suppressed"
    assert format_count(1234, SHOWN, 10) == "1,234"
    assert format_derived(7.5, True) == "not shown"
    assert format_derived(7.54, False) == "7.5"
    assert format_derived(float("nan"), False) == "no value"
