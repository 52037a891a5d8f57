"""About and methods page: definitions, suppression rule, and the snapshot's triage rules."""

from __future__ import annotations

from tests.apptest_helpers import run_page


def test_about_page_explains_figures_and_rules(tiny_data_dir):
    at = run_page("views/public/about.py", tiny_data_dir)
    assert not at.exception
    headers = [h.value for h in at.main.header]
    assert headers == ["What each figure means", "Four numbers kept apart", "Privacy",
                       "Data sources and dates", "Triage rules"]
    text = " ".join(m.value for m in at.markdown)
    assert "fewer than 11" in text and "Police backup requested" in text
    rules = next(df.value for df in at.dataframe if "Eligibility" in df.value.columns)
    assert len(rules) == 6
    assert rules.iloc[3]["Incident codes"] == 'codes starting with "TRESPASSING"'
    assert any("tiny-1" in c.value for c in at.caption)
