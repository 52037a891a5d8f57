"""Triage impact: rule counts, precedence, modifiers, unmatched codes and tier changes on a
hand-built case (every number below can be recounted from CODES)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from response_atlas.analysis import triage_impact as ti
from response_atlas.triage_rules import RulesError, load_rules

RULES = """\
version: hand-1
rules:
  - {id: mhc-nv, pattern: '^MHC - NON', category: behavioral_health, tier: alternative,
     description: non-violent}
  - {id: mhc, pattern: '^MHC', category: behavioral_health, tier: co_response}
  - {id: trespass, pattern: '^TRESPASS', category: disorder, tier: alternative}
disqualifiers:
  - {modifier: W, tier: police_only, reason: weapon}
"""

# code -> calls
CODES = {
    "MHC - NON-VIOLENT": 5,
    "MHC - NON-VIOLENT (W)": 2,  # weapon flag: rule mhc-nv, but police only
    "MHC - VIOLENT": 3,
    "+TRESPASSING (IP)": 4,  # origin mark and modifier stripped before matching
    "NOISE": 6,  # no rule
}


@pytest.fixture
def counts() -> pd.DataFrame:
    return pd.DataFrame({"incident_code": list(CODES), "calls": list(CODES.values())})


@pytest.fixture
def rules():
    return load_rules(RULES)


def edited(rules, changes: dict):
    frame = ti.rules_frame(rules)
    for (row, column), value in changes.items():
        frame.loc[row, column] = value
    return frame


def test_rule_matches_counts_each_rule_and_disqualified_calls(counts, rules):
    table = ti.rule_matches(counts, rules)
    assert table["id"].tolist() == ["mhc-nv", "mhc", "trespass"]
    assert table["calls"].tolist() == [7, 3, 4]
    assert table["made_stricter"].tolist() == [2, 0, 0]
    assert table["description"].tolist() == ["non-violent", "", ""]


def test_unmatched_codes_listed_with_counts(counts, rules):
    out = ti.unmatched(counts, rules)
    assert out.to_dict("records") == [{"code": "NOISE", "calls": 6}]


def test_disqualifier_counts_calls_it_applies_to(counts, rules):
    out = ti.disqualifier_matches(counts, rules)
    assert out.loc[0, "calls"] == 2 and out.loc[0, "trigger"] == "modifier (W)"


def test_no_edit_changes_nothing(counts, rules):
    summary = ti.impact_summary(counts, rules, rules)
    assert (summary.tier_changed, summary.category_changed) == (0, 0)
    assert summary.eligible_before == summary.eligible_after == 9  # 5 MHC non-violent + 4 trespass
    assert ti.tier_changes(counts, rules, rules).empty


def test_edit_tier_and_add_rule(counts, rules):
    frame = edited(rules, {(2, "tier"): "co_response"})
    frame.loc[len(frame)] = {"order": 4, "id": "noise", "pattern": "^NOISE",
                             "category": "disorder", "tier": "alternative", "description": None}
    after = ti.ruleset_from_frames("hand-2", frame, ti.disqualifiers_frame(rules))
    changes = ti.tier_changes(counts, rules, after)
    assert changes.to_dict("records") == [
        {"from": "police_only", "to": "alternative", "calls": 6},
        {"from": "alternative", "to": "co_response", "calls": 4},
    ]
    cats = ti.category_changes(counts, rules, after)
    assert cats.to_dict("records") == [{"from": "unclassified", "to": "disorder", "calls": 6}]
    s = ti.impact_summary(counts, rules, after)
    assert (s.calls, s.tier_changed, s.category_changed) == (20, 10, 6)
    assert (s.eligible_before, s.eligible_after, s.eligible_change) == (9, 11, 2)
    assert (s.unmatched_before, s.unmatched_after) == (6, 0)
    totals = ti.tier_totals(counts, rules, after).set_index("tier")
    assert totals.loc["alternative"].tolist() == [9, 11, 2]
    assert totals.loc["co_response"].tolist() == [3, 7, 4]
    assert totals.loc["police_only"].tolist() == [8, 2, -6]


def test_precedence_first_matching_rule_wins(counts, rules):
    # Move the broad '^MHC' rule first: the non-violent calls now get its co-response tier;
    # the weapon-flagged ones stay police only (a disqualifier never loosens).
    frame = edited(rules, {(1, "order"): 0})
    after = ti.ruleset_from_frames("hand-2", frame, ti.disqualifiers_frame(rules))
    assert [r.id for r in after.rules] == ["mhc", "mhc-nv", "trespass"]
    assert ti.tier_changes(counts, rules, after).to_dict("records") == [
        {"from": "alternative", "to": "co_response", "calls": 5}
    ]
    matches = ti.rule_matches(counts, after).set_index("id")["calls"]
    assert matches.to_dict() == {"mhc": 10, "mhc-nv": 0, "trespass": 4}
    codes = ti.changed_codes(counts, rules, after)
    assert codes["incident_code"].tolist() == ["MHC - NON-VIOLENT", "MHC - NON-VIOLENT (W)"]
    assert codes["calls"].tolist() == [5, 2]  # the (W) code changes rule, not tier


def test_removing_the_weapon_disqualifier_loosens_flagged_calls(counts, rules):
    after = ti.ruleset_from_frames("x", ti.rules_frame(rules), ti.disqualifiers_frame(rules).iloc[0:0])
    assert ti.tier_changes(counts, rules, after).to_dict("records") == [
        {"from": "police_only", "to": "alternative", "calls": 2}
    ]


def test_frames_round_trip_and_blank_rows_ignored(rules):
    frame = ti.rules_frame(rules)
    frame.loc[len(frame)] = {c: None for c in ti.RULE_COLUMNS}
    back = ti.ruleset_from_frames(rules.version, frame, ti.disqualifiers_frame(rules))
    assert back == rules


def test_bad_edits_list_every_problem_in_table_terms(rules):
    frame = edited(rules, {(0, "tier"): "maybe", (2, "pattern"): "([unclosed"})
    frame.loc[1, "id"] = "mhc-nv"  # duplicate ids are caught once the rows validate
    with pytest.raises(RulesError) as err:
        ti.ruleset_from_frames("x", frame, ti.disqualifiers_frame(rules))
    problems = err.value.problems
    assert any(p.startswith("rule 1 (mhc-nv): tier: unknown tier 'maybe'") for p in problems)
    assert any(p.startswith("rule 3 (trespass): pattern: not a valid regular expression")
               for p in problems)
    frame = edited(rules, {(1, "pattern"): None})
    with pytest.raises(RulesError) as err:
        ti.ruleset_from_frames("x", frame, ti.disqualifiers_frame(rules))
    assert err.value.problems == ["rule 2 (mhc): pattern: is empty"]


def test_save_keeps_previous_version(tmp_path, rules):
    first = ti.save_ruleset(tmp_path, rules, now=datetime(2026, 1, 2, 9, 30, 0))
    assert first.backup is None and first.path.name == "triage_rules.yaml"
    newer = rules.model_copy(update={"version": ti.next_version(rules.version, datetime(2026, 1, 3, 8, 0))})
    second = ti.save_ruleset(tmp_path, newer, now=datetime(2026, 1, 3, 8, 0, 0))
    assert second.backup.name == "triage_rules.20260103-080000.yaml"
    assert load_rules(second.backup).version == "hand-1"
    assert load_rules(second.path).version == "hand-1-edited-20260103-0800"
    third = ti.save_ruleset(tmp_path, newer, now=datetime(2026, 1, 3, 8, 0, 0))  # same second
    assert third.backup.name == "triage_rules.20260103-080000-1.yaml"
    assert ti.next_version("hand-1-edited-20260103-0800", datetime(2026, 2, 1)) == (
        "hand-1-edited-20260201-0000"
    )


def test_code_counts_from_the_tiny_snapshot(tiny_snapshot):
    counts = ti.code_counts(tiny_snapshot)
    assert counts["calls"].sum() == 48
    assert counts.iloc[0].tolist() == ["MHC - NON-VIOLENT", 12]
    rules = load_rules(tiny_snapshot.path / "triage_rules.yaml")
    table = ti.rule_matches(counts, rules).set_index("id")["calls"]
    assert table.to_dict() == {"mhc": 12, "mhc-v": 3, "suicide": 6, "trespassing": 10,
                               "domestic": 4, "theftr": 4}
    assert ti.unmatched(counts, rules).to_dict("records") == [{"code": "UNKNOWN CODE", "calls": 9}]
