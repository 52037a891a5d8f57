"""Smoke test: app.py and every registered page run on the tiny snapshot without an exception."""

from __future__ import annotations

import pytest

from response_atlas.pages_registry import PAGES, PUBLIC, STAFF
from tests.apptest_helpers import run_page


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.path)
def test_every_page_runs(tiny_data_dir, spec):
    role = STAFF if spec.audience == STAFF else PUBLIC
    at = run_page(spec.path, tiny_data_dir, role=role, query={"from": "2025-01-01"})
    assert not at.exception, at.exception[0].message if at.exception else ""
    assert at.title and at.title[0].value.startswith(spec.title)
    # the data date is stated under every title (page_header)
    assert any("data as of 2025-06-12" in c.value for c in at.caption)


def test_bad_link_values_fall_back_with_a_note(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir,
                  query={"from": "not-a-date", "area": "Atlantis", "cat": "bogus"})
    assert not at.exception
    assert at.title[0].value == "Overview"
    notes = " ".join(i.value for i in at.sidebar.info)
    assert "not-a-date" in notes and "Atlantis" in notes
