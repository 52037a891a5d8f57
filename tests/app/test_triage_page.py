"""AppTest of the triage rules page on the tiny snapshot (staff), and its absence for the public."""

from __future__ import annotations

import pytest

from response_atlas.pages_registry import PAGES
from tests.apptest_helpers import metric, run_page, run_page_cleanly
from tests.tiny_snapshot import RULES_YAML, build_tiny_snapshot

OVERVIEW = next(p.path for p in PAGES if p.title == "Overview")
PAGE = next(p.path for p in PAGES if p.title == "Triage rules")


def frame_with(at, column, value):
    """The first count table (it has a ``calls`` column) holding ``value`` in ``column``."""
    for df in at.dataframe:
        frame = df.value
        if {column, "calls"} <= set(frame.columns) and (frame[column] == value).any():
            return frame
    raise AssertionError(f"no table with {value!r} in {column!r}")


@pytest.fixture(scope="module")
def staff_page(tiny_data_dir):
    return run_page_cleanly(PAGE, tiny_data_dir, role="staff")


def test_rules_in_force_with_counts_and_unmatched(staff_page):
    at = staff_page
    assert at.title[0].value == "Triage rules"
    assert metric(at, "Calls in the period").value == "48"
    assert metric(at, "Matched by a rule").value == "39"
    assert metric(at, "No rule matches").value == "9"
    rules = frame_with(at, "id", "trespassing").set_index("id")
    assert rules["calls"].to_dict() == {"mhc": 12, "mhc-v": 3, "suicide": 6, "trespassing": 10,
                                        "domestic": 4, "theftr": 4}
    assert rules.loc["mhc-v", "made_stricter"] == 0  # MHC - VIOLENT is police only already
    assert rules.loc["trespassing", "tier"] == "Alternative response"
    missing = frame_with(at, "code", "UNKNOWN CODE")
    assert missing["calls"].tolist() == [9]
    # unedited copy: nothing changes
    assert metric(at, "Calls changing tier").value == "0"
    assert any("No call changes tier" in i.value for i in at.info)


def test_pasted_yaml_shows_tier_changes_at_once(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    edited = RULES_YAML.replace(
        "{id: trespassing, pattern: '^TRESPASSING', category: disorder, tier: alternative}",
        "{id: trespassing, pattern: '^TRESPASSING', category: disorder, tier: co_response}",
    ).replace("rules:\n", "rules:\n  - {id: unknown, pattern: '^UNKNOWN', category: welfare_check,"
              " tier: alternative}\n", 1)
    at.text_area(key="tri_yaml_0").set_value(edited).run()
    at.button(key="tri_use_yaml").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Calls changing tier").value == "19"  # 10 trespassing + 9 unknown
    assert metric(at, "Calls changing call type").value == "9"
    eligible = metric(at, "Eligible for alternative response")
    assert (eligible.value, eligible.delta) == ("21", "-1")  # 22 - 10 + 9
    assert metric(at, "Calls no rule matches").value == "0"
    moves = frame_with(at, "to", "Co-response")
    assert sorted(map(tuple, moves.to_numpy().tolist())) == [
        ("Alternative response", "Co-response", 10),
        ("Police only", "Alternative response", 9),
    ]
    counts = frame_with(at, "id", "unknown").set_index("id")["calls"]
    assert counts["unknown"] == 9 and counts["trespassing"] == 10


def test_invalid_yaml_is_refused_with_every_problem(tiny_data_dir):
    at = run_page(PAGE, tiny_data_dir, role="staff")
    bad = RULES_YAML.replace("tier: alternative}", "tier: sometimes}", 1).replace(
        "'^THEFT'", "'([oops'")
    at.text_area(key="tri_yaml_0").set_value(bad).run()
    at.button(key="tri_use_yaml").click().run()
    assert not at.exception
    message = next(e.value for e in at.error if "not a valid ruleset" in e.value)
    assert "rules[0].tier: unknown tier 'sometimes'" in message
    assert "rules[5].pattern: not a valid regular expression" in message
    assert metric(at, "Calls changing tier").value == "0"  # the draft stays as it was


def test_save_writes_a_new_version_and_refresh_failure_is_reported(tmp_path):
    build_tiny_snapshot(tmp_path)
    (tmp_path / "triage_rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    at = run_page(PAGE, tmp_path, role="staff")
    at.text_input(key="tri_version").set_value("tiny-2").run()
    at.button(key="tri_save").click().run()
    assert not at.exception, at.exception
    assert any("triage_rules.yaml" in s.value and "next data refresh" in s.value
               for s in at.success)
    backups = sorted(tmp_path.glob("triage_rules.*.yaml"))
    assert len(backups) == 1 and "version: tiny-1" in backups[0].read_text()
    assert "version: tiny-2" in (tmp_path / "triage_rules.yaml").read_text()
    # The tiny folder holds no extracts: the refresh fails and says so, the snapshot stays.
    at.button(key="tri_refresh").click().run()
    assert not at.exception
    assert any("refresh failed" in e.value for e in at.error)


def test_public_role_cannot_reach_the_page(tiny_data_dir):
    at = run_page(OVERVIEW, tiny_data_dir, role="public")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_page_refuses_a_public_context_when_run_alone(tiny_data_dir):
    import os

    from streamlit.testing.v1 import AppTest

    from tests.conftest import PROJECT_ROOT

    os.environ["ATLAS_DATA_DIR"] = str(tiny_data_dir)
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=60).run()
    assert not at.exception
    assert any("signed-in staff" in e.value for e in at.error)
    assert not at.metric and not at.dataframe
