"""Data page (staff only): manifest tables, rejected rows, snapshot list and the rollback switch."""

from __future__ import annotations

import json
import shutil

import pytest

from response_atlas.snapshot import current_version
from tests.apptest_helpers import run_page

SWITCH = "Switch to this snapshot"


def test_staff_data_page_lists_the_snapshot(tiny_data_dir, tiny_snapshot):
    at = run_page("views/staff/data.py", tiny_data_dir, role="staff")
    assert not at.exception
    assert at.title[0].value == "Data and refresh"
    subheaders = [s.value for s in at.subheader]
    assert subheaders == ["Snapshot in use", "Source files", "Rows read, accepted and rejected",
                          "Refresh outcomes", "Validation report", "Rejected rows", "Snapshots kept"]
    assert any("No rows were rejected" in s.value for s in at.success)
    tables = [df.value for df in at.dataframe]
    sources = next(t for t in tables if "SHA-256" in t.columns)
    assert sources.iloc[0]["Rows read"] == "48"
    snapshots = next(t for t in tables if "In use" in t.columns)
    assert snapshots["Snapshot"].tolist() == [tiny_snapshot.version]
    assert snapshots["Calls accepted"].tolist() == [48]
    assert SWITCH not in [b.label for b in at.button]  # one snapshot: nothing to switch to


def test_rollback_button_switches_current(tiny_data_dir, tmp_path):
    """Two kept snapshots: the older one is offered, and the button points CURRENT at it."""
    data = tmp_path / "data"
    shutil.copytree(tiny_data_dir, data)
    snapshots = data / "snapshots"
    old = current_version(snapshots)
    newer = "29991231T000000000000Z"
    shutil.copytree(snapshots / old, snapshots / newer)
    manifest = json.loads((snapshots / newer / "manifest.json").read_text())
    manifest.update(version=newer, outcomes=[{"kind": "zones", "outcome": "zones missing (refused)",
                                              "count": 1}],
                    zones_missing=[{"zone_id": "z9", "team_id": "T9", "program": "ARC",
                                    "problem": "schedule does not parse: 'Mon-Fir' (at character 1)"}])
    (snapshots / newer / "manifest.json").write_text(json.dumps(manifest))
    (snapshots / "CURRENT").write_text(newer + "\n")

    at = run_page("views/staff/data.py", data, role="staff")
    assert not at.exception
    table = next(df.value for df in at.dataframe if "In use" in df.value.columns)
    assert table["Snapshot"].tolist() == [newer, old] and table["In use"].tolist() == [True, False]
    assert table["Zones missing"].tolist() == [1, 0]
    assert any("Zone z9 (team T9, program ARC) is missing" in w.value for w in at.warning)
    assert at.selectbox[0].options == [old]
    next(b for b in at.button if b.label == SWITCH).click().run()
    assert not at.exception
    assert current_version(snapshots) == old
    assert any(f"Now using snapshot {old} (was {newer})" in s.value for s in at.success)
    table = next(df.value for df in at.dataframe if "In use" in df.value.columns)
    assert table["In use"].tolist() == [False, True]


def test_public_session_cannot_open_the_data_page(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir)
    # a public navigation has no Data page at all: AppTest cannot even switch to it
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/staff/data.py")
