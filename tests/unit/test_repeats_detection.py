"""Repeat detection on hand-made snapshots: rolling windows, thresholds, ties, privacy exclusions."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from response_atlas.analysis.repeats import (
    RANKED_COLUMNS,
    RepeatRule,
    RepeatSettingsError,
    area_totals,
    compute_concentration,
    count_block_calls,
    count_repeat_locations,
    find_repeat_locations,
    location_timeline,
    rank_repeat_locations,
    summarize_repeats,
)
from tests.unit.test_repeats_helpers import all_of_2025, make_snapshot

BH, ALT, CO = "behavioral_health", "alternative", "co_response"


def _addresses(snapshot, rule, **filter_changes) -> list[str]:
    return list(find_repeat_locations(snapshot, all_of_2025(**filter_changes), rule)["address"])


def test_day_89_is_inside_a_90_day_window_and_day_90_is_not(tmp_path):
    snap = make_snapshot(tmp_path, [
        ("a1", 0, "1XX IN ST", BH, ALT, "Alpha"),
        ("a2", 89, "1XX IN ST", BH, ALT, "Alpha"),
        ("b1", 0, "2XX OUT ST", BH, ALT, "Alpha"),
        ("b2", 90, "2XX OUT ST", BH, ALT, "Alpha"),
    ])
    assert _addresses(snap, RepeatRule(threshold=2, window_days=90)) == ["1XX IN ST"]
    # One day longer and the day-90 pair fits too.
    assert _addresses(snap, RepeatRule(threshold=2, window_days=91)) == ["1XX IN ST", "2XX OUT ST"]


def test_rolling_window_is_any_window_not_calendar_quarters(tmp_path):
    # Days 80, 100, 120: no calendar quarter holds all three, but the window starting day 80 does.
    snap = make_snapshot(tmp_path, [
        (f"c{n}", n, "3XX ROLL AVE", BH, ALT, "Beta") for n in (80, 100, 120)
    ] + [("c0", 0, "3XX ROLL AVE", BH, ALT, "Beta")])
    table = find_repeat_locations(snap, all_of_2025(), RepeatRule(3, 90))
    row = table.iloc[0]
    assert (row["address"], row["calls"], row["peak_window_calls"]) == ("3XX ROLL AVE", 4, 3)
    assert row["busiest_window_start"] == date(2025, 3, 22)  # day 80
    # Four calls spread over 120 days: never four in 90 days, always four in 12 months.
    assert _addresses(snap, RepeatRule(4, 90)) == []
    assert _addresses(snap, RepeatRule(4, 365)) == ["3XX ROLL AVE"]


def test_threshold_is_inclusive(tmp_path):
    snap = make_snapshot(tmp_path, [(f"t{i}", i, "4XX EDGE RD", BH, ALT, "Alpha") for i in range(3)])
    assert _addresses(snap, RepeatRule(3, 90)) == ["4XX EDGE RD"]
    assert _addresses(snap, RepeatRule(4, 90)) == []


def test_ties_rank_by_calls_then_address(tmp_path):
    calls = []
    for addr, n in (("9XX ZED ST", 3), ("1XX BEE ST", 3), ("5XX CEE ST", 5), ("2XX ABE ST", 3)):
        calls += [(f"{addr[:3]}-{i}", i * 10, addr, BH, ALT, "Beta") for i in range(n)]
    snap = make_snapshot(tmp_path, calls)
    table = find_repeat_locations(snap, all_of_2025(), RepeatRule(3, 90))
    assert list(table["address"]) == ["5XX CEE ST", "1XX BEE ST", "2XX ABE ST", "9XX ZED ST"]
    assert list(table["rank"]) == [1, 2, 3, 4]
    assert list(table["calls"]) == [5, 3, 3, 3]


def test_ranked_columns_hand_checked(tmp_path):
    snap = make_snapshot(tmp_path, [
        ("r1", 10, "7XX MIX AVE", BH, ALT, "Alpha"),
        ("r2", 11, "7XX MIX AVE", "disorder", CO, "Alpha"),
        ("r3", 12, "7XX MIX AVE", BH, "police_only", "Alpha"),
        ("r4", 13, "7XX MIX AVE", "homelessness", CO, "Beta"),
    ], contacts=[("k1", "r2", "ARC", 11), ("k2", "r3", "ARC", 12)])
    row = find_repeat_locations(snap, all_of_2025(), RepeatRule(3, 90)).iloc[0]
    assert row["area"] == "Alpha"  # 3 of its 4 calls are in Alpha
    assert row["alternative_share"] == pytest.approx(0.25)
    assert row["categories"] == "Behavioral health; Disorder / nuisance; Homelessness"
    assert row["first_call"].date() == date(2025, 1, 11)
    assert row["last_call"].date() == date(2025, 1, 14)
    assert bool(row["team_contact"]) and row["contacts"] == 2
    assert row["first_contact"].date() == date(2025, 1, 12)


def test_contacts_count_only_on_calls_the_filters_keep(tmp_path):
    """Contacts per location come from the snapshot's table of contacted calls (made once),
    filtered like the calls: a contact on a call the filters drop is not counted."""
    snap = make_snapshot(tmp_path, [
        ("c1", 10, "3XX OAK ST", BH, ALT, "Alpha"),
        ("c2", 11, "3XX OAK ST", BH, ALT, "Alpha"),
        ("c3", 12, "3XX OAK ST", "disorder", CO, "Alpha"),
        ("c4", 13, "3XX OAK ST", BH, ALT, "Alpha"),
    ], contacts=[("k1", "c1", "ARC", 10), ("k2", "c3", "ARC", 12), ("k3", "c3", "ARC", 12)])
    assert count_repeat_locations(snap, all_of_2025(), RepeatRule(3, 90)) == 1
    assert snap._made == set()  # a count (the Overview's) needs no contacts: nothing made
    everything = find_repeat_locations(snap, all_of_2025(), RepeatRule(3, 90)).iloc[0]
    assert everything["contacts"] == 3 and everything["first_contact"].date() == date(2025, 1, 11)
    behavioral = find_repeat_locations(snap, all_of_2025().with_(categories=(BH,)),
                                       RepeatRule(3, 90)).iloc[0]
    assert behavioral["calls"] == 3 and behavioral["contacts"] == 1
    assert snap._made == {"contacted_calls"}
    assert snap.query("SELECT count(*) AS n FROM contacted_calls")["n"].iloc[0] == 2
    timeline = location_timeline(snap, all_of_2025().with_(categories=(BH,)), "3XX OAK ST")
    assert list(timeline.calls["call_id"]) == ["c1", "c2", "c4"]
    assert list(timeline.contacts["contact_id"]) == ["k1"]
    assert list(location_timeline(snap, all_of_2025(), "3XX OAK ST").contacts["contact_id"]) == [
        "k1", "k2", "k3"]


def test_filters_by_category_and_tier_change_what_repeats(tmp_path):
    snap = make_snapshot(tmp_path, [
        ("f1", 1, "8XX CAT ST", BH, ALT, "Gamma"),
        ("f2", 2, "8XX CAT ST", BH, ALT, "Gamma"),
        ("f3", 3, "8XX CAT ST", "disorder", CO, "Gamma"),
    ])
    rule = RepeatRule(3, 90)
    assert _addresses(snap, rule) == ["8XX CAT ST"]
    assert _addresses(snap, rule, categories=(BH,)) == []
    assert _addresses(snap, RepeatRule(2, 90), tiers=(ALT,)) == ["8XX CAT ST"]


def test_dv_and_overdose_never_at_block_level_but_in_area_totals(tmp_path):
    snap = make_snapshot(tmp_path, [
        *[(f"dv{i}", i, "45XX ELM ST", "domestic_violence", CO, "Alpha") for i in range(5)],
        *[(f"od{i}", i, "6XX PINE ST", "substance_use", ALT, "Alpha") for i in range(3)],
        ("p1", 1, "6XX PINE ST", BH, ALT, "Alpha"),
        ("p2", 2, "6XX PINE ST", BH, ALT, "Alpha"),
    ], contacts=[("q1", "p1", "QRT", 1), ("d1", "dv0", "DVERT", 0)])
    filters = all_of_2025()
    # 6XX PINE ST has 5 calls, but only its 2 behavioral ones exist at block level.
    assert find_repeat_locations(snap, filters, RepeatRule(3, 90)).empty
    table = find_repeat_locations(snap, filters, RepeatRule(2, 90))
    assert list(table["address"]) == ["6XX PINE ST"]
    assert table.iloc[0]["calls"] == 2
    assert "Substance" not in table.iloc[0]["categories"]
    # A QRT visit would reveal an overdose at the block: not shown as a team contact there.
    assert not bool(table.iloc[0]["team_contact"])
    assert count_block_calls(snap, filters) == {"calls": 2, "locations": 1}
    # no repeat location under 3 in 90 days: the one-scan ranking still carries the totals
    none = rank_repeat_locations(snap, filters, RepeatRule(3, 90))
    assert none.ranked.empty and list(none.ranked.columns) == list(RANKED_COLUMNS)
    assert none.block == {"calls": 2, "locations": 1}
    timeline = location_timeline(snap, filters, "45XX ELM ST")
    assert timeline.calls.empty and timeline.contacts.empty
    pine = location_timeline(snap, filters, "6XX PINE ST")
    assert list(pine.calls["call_id"]) == ["p1", "p2"] and pine.contacts.empty
    conc = compute_concentration(snap, filters)
    assert (conc.county.locations, conc.county.calls) == (1, 2)
    # Even when the user picks only DV, nothing reaches block level.
    assert find_repeat_locations(snap, all_of_2025(categories=("domestic_violence",)),
                                 RepeatRule(2, 90)).empty
    totals = area_totals(snap, filters, RepeatRule(2, 90)).set_index("area")
    assert totals.loc["Alpha"].to_dict() == {
        "all_calls": 10, "domestic_violence": 5, "substance_use": 3, "block_calls": 2,
        "repeat_locations": 1, "repeat_calls": 2,
    }


def test_tiny_snapshot_figures(tiny_snapshot):
    filters = all_of_2025()
    table = find_repeat_locations(tiny_snapshot, filters)
    assert list(table["address"][:2]) == ["12XX MAIN ST", "3XX VINE ST"]
    assert list(table["calls"][:2]) == [12, 10]
    assert "45XX ELM ST" not in set(table["address"])
    summary = summarize_repeats(table, count_block_calls(tiny_snapshot, filters))
    ranking = rank_repeat_locations(tiny_snapshot, filters)
    pd.testing.assert_frame_equal(ranking.ranked, table)
    assert ranking.block == count_block_calls(tiny_snapshot, filters)
    nothing = rank_repeat_locations(tiny_snapshot, all_of_2025(areas=("Nowhere",)))
    assert nothing.ranked.empty and nothing.block == {"calls": 0, "locations": 0}
    # 48 calls minus 4 DV = 44 block-level calls at 6 blocks, all of them repeat locations.
    assert (summary["block_calls"], summary["repeat_locations"], summary["repeat_calls"]) == (
        44, 6, 44)
    assert summary["with_contact"] == 2


def test_rule_validation_lists_every_problem():
    with pytest.raises(RepeatSettingsError) as err:
        RepeatRule(threshold=1, window_days=0)
    assert "threshold" in str(err.value) and "window_days" in str(err.value)
    assert RepeatRule().describe() == "3 or more calls within 90 days"
    assert RepeatRule(5, 365).describe() == "5 or more calls within 12 months (365 days)"
