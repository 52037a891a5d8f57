"""The repeat-addresses page through app.py (AppTest) on the tiny snapshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import run_page, run_page_cleanly

PAGE = "views/staff/repeats.py"


def _all_text(at: AppTest) -> str:
    """Every text the page shows: markdown, captions, metrics, tables, select options."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(m.value) for m in at.metric]
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [str(o) for s in at.selectbox for o in s.options]
    return "\n".join(parts)


def _table(at: AppTest, first_column: str):
    return next(df.value for df in at.dataframe if df.value.columns[0] == first_column)


@pytest.fixture(scope="module")
def staff_page(tiny_data_dir) -> AppTest:
    return run_page_cleanly(PAGE, tiny_data_dir, role="staff")


def test_staff_sees_ranked_repeat_locations(staff_page):
    at = staff_page
    assert [m.value for m in at.metric][:3] == ["6", "44", "100%"]
    ranked = _table(at, "Rank")
    assert list(ranked["Address (block)"][:2]) == ["12XX MAIN ST", "3XX VINE ST"]
    assert list(ranked["Calls"][:2]) == [12, 10]
    assert list(ranked["Team contact"][:3]) == ["yes", "yes", "no"]
    assert list(ranked["Contacts"][:2]) == [2, 1]


def _show(at: AppTest, view: str) -> AppTest:
    at.radio(key="rep_view").set_value(view).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_dv_block_never_shown_in_any_view_but_counted_in_area_totals(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    for view in ("Ranked list", "Map", "Concentration", "Before and after contact", "Area totals"):
        assert "45XX ELM ST" not in _all_text(_show(at, view)), view
    totals = _table(at, "Area").set_index("Area")
    assert totals.loc["Alpha", "All calls"] == 20
    assert totals.loc["Alpha", "Domestic violence"] == 4
    assert totals.loc["Alpha", "Block-level calls"] == 16


def test_headline_and_drill_down(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    assert "**12XX MAIN ST**: 12 calls in the period; 2 team contacts (dotted lines)." in _all_text(at)
    at.selectbox(key="rep_drill").set_value("3XX VINE ST").run()
    assert not at.exception
    assert "**3XX VINE ST**: 10 calls in the period; 1 team contact (dotted lines)." in _all_text(at)
    _show(at, "Concentration")
    assert "All areas: 17% of addresses (1 of 6) produced 27% of calls (12 of 44)." in _all_text(at)
    per_area = _table(at, "Area").set_index("Area")
    assert per_area.loc["Alpha", "Share of calls (%)"] == 75
    # Before/after: both contacts fall within 90 days of the data's first day, so none compares.
    _show(at, "Before and after contact")
    assert any("Left out: 2 (window outside the data)" in i.value for i in at.info)
    assert any("regression to the mean" in w.value for w in at.warning)


def test_threshold_and_custom_window_change_the_list(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    at.number_input(key="rep_n").set_value(10).run()
    assert list(_table(at, "Rank")["Address (block)"]) == ["12XX MAIN ST", "3XX VINE ST"]
    at.number_input(key="rep_n").set_value(3)
    at.radio(key="rep_win").set_value("Custom").run()
    at.number_input(key="rep_days").set_value(5).run()
    # In any 5 days, 12XX MAIN ST (calls three days apart) never has 3 calls.
    addresses = list(_table(at, "Rank")["Address (block)"])
    assert "12XX MAIN ST" not in addresses and addresses[0] == "3XX VINE ST"
    assert at.metric[0].value == "5"


def test_threshold_above_every_block_shows_empty_state(tiny_data_dir):
    # (The DV-only filter case is covered in tests/unit/test_repeats_detection.py: AppTest does
    # not carry the sidebar filters across st.navigation page switches.)
    at = run_page(PAGE, tiny_data_dir, role="staff")
    at.number_input(key="rep_n").set_value(13).run()
    assert not at.exception
    assert at.metric[0].value == "0"
    assert any("No block has 13 or more calls within 90 days" in i.value for i in at.info)
    _show(at, "Map")
    assert any("No repeat location to map" in i.value for i in at.info)


def test_public_role_cannot_reach_the_page(tiny_data_dir):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run_page(PAGE, tiny_data_dir, role="public")


def test_page_refuses_public_context_when_run_directly(tiny_data_dir):
    # Defence in depth: opened without app.py (no staff login), the page itself refuses.
    os.environ["ATLAS_DATA_DIR"] = str(tiny_data_dir)
    page = Path(__file__).resolve().parents[2] / PAGE
    at = AppTest.from_file(str(page), default_timeout=60).run()
    assert not at.exception
    assert any("for program staff only" in e.value for e in at.error)
    assert not at.dataframe and not at.metric
