"""Shared links: the sidebar filters round-trip through the URL, and bad values are explained."""

from __future__ import annotations

from tests.apptest_helpers import run_page

OVERVIEW = "views/public/overview.py"


def test_link_with_displayed_labels_applies_filters_without_warnings(tiny_data_dir):
    # bound multiselects write their labels into the URL; such a link must reopen the same view
    at = run_page(OVERVIEW, tiny_data_dir, query={"cat": "Behavioral health", "tier": "Co-response"})
    assert not at.exception
    assert [i.value for i in at.sidebar.info] == []
    assert "Behavioral health; Co-response" in at.caption[0].value


def test_link_with_unknown_values_opens_with_a_note(tiny_data_dir):
    at = run_page(OVERVIEW, tiny_data_dir, query={"cat": "nonsense", "area": "Atlantis"})
    assert not at.exception
    notes = " ".join(i.value for i in at.sidebar.info)
    assert "nonsense" in notes and "Atlantis" in notes
    assert "all areas; all call types" in at.caption[0].value
