"""Data page (staff only): manifest tables, rejected rows, snapshot list."""

from __future__ import annotations

import pytest

from tests.apptest_helpers import run_page


def test_staff_data_page_lists_the_snapshot(tiny_data_dir, tiny_snapshot):
    at = run_page("views/staff/data.py", tiny_data_dir, role="staff")
    assert not at.exception
    assert at.title[0].value == "Data and refresh"
    subheaders = [s.value for s in at.subheader]
    assert subheaders == ["Snapshot in use", "Source files", "Rows read, accepted and rejected",
                          "Validation report", "Rejected rows", "Snapshots kept"]
    assert any("No rows were rejected" in s.value for s in at.success)
    tables = [df.value for df in at.dataframe]
    sources = next(t for t in tables if "SHA-256" in t.columns)
    assert sources.iloc[0]["Rows read"] == "48"
    snapshots = next(t for t in tables if "In use" in t.columns)
    assert snapshots["Snapshot"].tolist() == [tiny_snapshot.version]


def test_public_session_cannot_open_the_data_page(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir)
    # a public navigation has no Data page at all: AppTest cannot even switch to it
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/staff/data.py")
