"""Coverage page (staff): a zone the refresh refused is named as missing (issue 21, point 10)."""

from __future__ import annotations

import json
import shutil

from response_atlas.snapshot import current_snapshot_dir
from tests.apptest_helpers import run_page


def test_coverage_page_names_a_missing_zone(tiny_data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(tiny_data_dir, data)
    manifest_path = current_snapshot_dir(data / "snapshots") / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["zones_missing"] = [{"zone_id": "qrt-<b>9</b>", "team_id": "QRT-9", "program": "QRT",
                                  "problem": "schedule does not parse: zone qrt-9 ..."}]
    manifest_path.write_text(json.dumps(manifest))
    at = run_page("views/staff/coverage.py", data, role="staff")
    assert not at.exception
    notes = [w.value for w in at.warning if "is missing from this snapshot" in w.value]
    assert notes == ["Zone qrt-&lt;b&gt;9&lt;/b&gt; (team QRT-9, program QRT) is missing from this "
                     "snapshot: schedule does not parse: zone qrt-9 ..."]
