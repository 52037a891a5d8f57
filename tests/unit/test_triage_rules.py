"""Triage rules: code parsing, validation messages, classification, counts and coverage."""

from __future__ import annotations

import pandas as pd
import pytest

from response_atlas.schema import CATEGORIES, TIERS
from response_atlas.triage_rules import (
    RulesError,
    classify_codes,
    count_rule_matches,
    default_rules,
    dump_rules,
    load_rules,
    parse_incident_code,
    unmatched_codes,
)
from tests.tiny_snapshot import RULES_YAML


@pytest.mark.parametrize(
    ("code", "base", "mods"),
    [
        ("DOMESTIC DIST PHYS (IP)", "DOMESTIC DIST PHYS", ("IP",)),
        ("ASSAULT (JO)(E)", "ASSAULT", ("JO", "E")),
        ("MHC - VIOLENT (W)", "MHC - VIOLENT", ("W",)),
        ("+DISORD", "DISORD", ()),
        ("=EMS1 - ALS1 RESPONSE", "EMS1 - ALS1 RESPONSE", ()),
        ("OD - (C) 23C1A NOT ALERT, ACC", "OD - (C) 23C1A NOT ALERT, ACC", ()),
        ("=EMS - (C)", "EMS - (C)", ()),
        ("ASSLTI - (C)(W) =", "ASSLTI - (C)(W) =", ()),
        ("SUICIDE THREAT (IP)(V)(W)", "SUICIDE THREAT", ("IP", "V", "W")),
        ("  THEFT   FROM VEH (nip) ", "THEFT FROM VEH", ("NIP",)),
        ("", "", ()),
    ],
)
def test_parse_incident_code(code, base, mods):
    assert parse_incident_code(code) == (base, mods)


def test_tiny_rules_classify_with_weapon_disqualifier():
    rules = load_rules(RULES_YAML)
    codes = pd.Series(["MHC - NON-VIOLENT", "MHC - NON-VIOLENT (W)", "+TRESPASSING (IP)",
                       "UNKNOWN CODE", None, "mhc - non-violent"], index=[10, 11, 12, 13, 14, 15])
    out = classify_codes(codes, rules)
    assert list(out.index) == [10, 11, 12, 13, 14, 15]
    assert list(out["tier"]) == ["alternative", "police_only", "alternative", "police_only",
                                 "police_only", "alternative"]
    assert list(out["category"]) == ["behavioral_health", "behavioral_health", "disorder",
                                     "unclassified", "unclassified", "behavioral_health"]
    assert out.loc[11, "modifiers"] == "W"
    assert out.loc[12, "modifiers"] == "IP"
    assert out.loc[12, "incident_base"] == "TRESPASSING"
    assert out.loc[13, "rule_id"] is None
    assert out.loc[10, "rule_id"] == "mhc"


def test_disqualifier_never_loosens_tier():
    rules = load_rules(
        "version: t\nrules:\n  - {id: a, pattern: '^X', category: other, tier: police_only}\n"
        "disqualifiers:\n  - {modifier: E, tier: co_response, reason: injury}\n"
    )
    assert classify_codes(pd.Series(["X (E)"]), rules)["tier"].iloc[0] == "police_only"


def test_validation_errors_name_rule_index_and_field():
    text = (
        "version: 1\nrules:\n"
        "  - {id: a, pattern: '^A', category: other, tier: police_only}\n"
        "  - {id: b, pattern: '^B', category: bogus, tier: police_only}\n"
        "  - {id: c, pattern: '([', category: other, tier: sometimes}\n"
    )
    with pytest.raises(RulesError) as info:
        load_rules(text)
    problems = info.value.problems
    assert any(p.startswith("rules[1].category") and "bogus" in p for p in problems)
    assert any(p.startswith("rules[2].pattern") and "regular expression" in p for p in problems)
    assert any(p.startswith("rules[2].tier") for p in problems)


def test_duplicate_rule_ids_and_bad_yaml_rejected():
    with pytest.raises(RulesError, match=r"rules\[1\]\.id"):
        load_rules("version: x\nrules:\n  - {id: a, pattern: A, category: other, tier: police_only}\n"
                   "  - {id: a, pattern: B, category: other, tier: police_only}\n")
    with pytest.raises(RulesError, match="not valid YAML"):
        load_rules("version: [unclosed\n")
    with pytest.raises(RulesError, match="disqualifiers"):
        load_rules("version: x\nrules: []\ndisqualifiers:\n  - {tier: police_only, reason: r}\n")


def test_dump_rules_round_trips():
    rules = default_rules()
    assert load_rules(dump_rules(rules)) == rules


def test_count_rule_matches_and_unmatched():
    rules = load_rules(RULES_YAML)
    codes = pd.Series(["MHC - NON-VIOLENT", "+MHC - NON-VIOLENT", "THEFTR", "ZZZ (IP)", "ZZZ",
                       "QQQ", None])
    counts = count_rule_matches(codes, rules).set_index("rule_id")["calls"]
    assert counts["mhc"] == 2
    assert counts["theftr"] == 1
    assert counts["domestic"] == 0
    assert len(counts) == len(rules.rules)
    unmatched = unmatched_codes(codes, rules)
    assert unmatched.to_dict("records") == [{"code": "ZZZ", "calls": 2}, {"code": "QQQ", "calls": 1}]


def test_default_rules_cover_design_codes():
    rules = default_rules()
    out = classify_codes(pd.Series([
        "MHC - NON-VIOLENT", "MHC - VIOLENT", "MHRT", "SUICIDE THREAT", "DISORD", "TRESPASSING",
        "NUISANCE", "DOMESTIC DIST PHYS (IP)", "OD - (C) 23C1A NOT ALERT, ACC", "OD - (C)(W) 23C8W",
        "SICK - 26A8 PAIN",
    ]), rules)
    assert list(out["category"]) == [
        "behavioral_health", "behavioral_health", "behavioral_health", "behavioral_health",
        "disorder", "disorder", "disorder", "domestic_violence", "substance_use", "substance_use",
        "medical",
    ]
    assert out["tier"].iloc[0] == "alternative"
    assert out["tier"].iloc[1] == "police_only"
    assert out["tier"].iloc[9] == "police_only"  # weapon flag inside the EMS determinant
    assert out["tier"].iloc[10] == "co_response"  # EMS medical: not police_only
    assert set(out["category"]) <= set(CATEGORIES)
    assert set(out["tier"]) <= set(TIERS)


def test_default_rules_classify_every_demo_code():
    from response_atlas.demo.codes import INCIDENT_CODES

    codes = pd.Series([c.code for c in INCIDENT_CODES])
    assert unmatched_codes(codes, default_rules()).empty


def test_default_rules_classify_every_real_code(shared_data):
    calls = shared_data / "real" / "calls"
    police = pd.read_csv(calls / "cincinnati_pdi_police_cfs_gexm-h6bt_ARR-CIT-301_subset.csv")
    ems = pd.read_csv(calls / "cincinnati_cfd_ems_incidents_vnsz-a3wp_60d_sample.csv")
    rules = default_rules()
    assert unmatched_codes(police["incident_type_id"], rules).empty
    assert unmatched_codes(ems["incident_type_id"], rules).empty
    ems_out = classify_codes(ems["incident_type_id"], rules)
    overdoses = ems["incident_type_id"].str.startswith(("OD -", "=OD -"))
    assert (ems_out.loc[overdoses, "category"] == "substance_use").all()
    assert overdoses.sum() >= 200
